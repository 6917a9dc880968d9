// The Kubernetes API types berth serves: one table of group, version, resource (plural), kind,
// scope and short names, as discovery (/api/v1, /apis/<group>/<version>) lists them
// (k8s.io/apimachinery pkg/apis/meta/v1 APIResource).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace berth::api::kube {

struct Resource {
  std::string group;    // "" for the core group
  std::string version;  // "v1", "v2"
  std::string name;     // the plural resource name: "pods", "deployments"
  std::string kind;     // "Pod", "Deployment"
  std::string singular;
  bool namespaced = true;
  std::vector<std::string> short_names;
  // A review: create-only and never stored (access reviews, token reviews); the answer is
  // computed from the request.
  bool review = false;
  // Served by conversion: objects are stored in the version of the first row with the same
  // name (the storage version) and converted to and from this one (conversion.h).
  bool converted = false;
  // "v1" or "<group>/<version>", as objects' apiVersion says it.
  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
};

// Every served type, core first, in discovery order. Resource names are unique across groups.
const std::vector<Resource>& resources();
// The type served at group/version/name, or nullptr.
const Resource* find_resource(const std::string& group, const std::string& version, const std::string& name);
// The type of `kind` in group `group` ("" = core), or nullptr.
const Resource* find_kind(const std::string& group, const std::string& kind);
// The named groups' group/versions, in discovery order (the core group is not among them); a
// group's preferred (storage) version comes before its others.
std::vector<std::pair<std::string, std::string>> group_versions();
// The row whose version objects of `type` are stored in (itself unless `converted`).
const Resource& storage_resource(const Resource& type);

}  // namespace berth::api::kube
