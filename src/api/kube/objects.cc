#include "api/kube/objects.h"

#include <ctime>

#include "common/strings.h"
#include "common/time.h"

namespace berth::api::kube {

std::string storage_key(const Resource& r, const std::string& ns, const std::string& name) {
  return "/registry/" + r.name + "/" + (r.namespaced ? ns + "/" : "") + name;
}

Json served(const store::KeyValue& kv) {
  Json o = parse_json(kv.value, "stored object").value_or(Json::object());
  if (!o.is_object()) o = Json::object();
  o["metadata"]["resourceVersion"] = std::to_string(kv.mod_revision);
  return o;
}

std::string now_timestamp() { return rfc3339(::time(nullptr), 0).substr(0, 19) + "Z"; }

std::string new_uid() {
  std::string h = str::random_hex(16);
  h[12] = '4';
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

}  // namespace berth::api::kube
