// The API server's pure rules, one by one: selectors (apimachinery labels/fields), quantities
// (api/resource), request attributes (endpoints/request), defaults and validation
// (pkg/apis/*), and ServiceAccount tokens signed and checked by the authenticator.
#include <gtest/gtest.h>

#include <fstream>

#include "api/kube/authn.h"
#include "api/kube/pki.h"
#include "api/kube/quantity.h"
#include "api/kube/rbac.h"
#include "api/kube/selectors.h"
#include "api/kube/strategy.h"
#include "support/process.h"

namespace berth::api::kube {
namespace {

Json pod(const Json& labels, const std::string& phase) {
  return {{"metadata", {{"name", "p"}, {"namespace", "default"}, {"labels", labels}}},
          {"spec", {{"nodeName", "n1"}}},
          {"status", {{"phase", phase}}}};
}

TEST(KubeSelectors, LabelsSetBasedAndEquality) {
  Json web = pod({{"tier", "web"}, {"env", "prod"}}, "Running");
  Json db = pod({{"tier", "db"}}, "Pending");
  auto check = [&](const std::string& text, bool w, bool d) {
    auto s = Selector::labels(text);
    ASSERT_TRUE(s) << text << ": " << s.error().message;
    EXPECT_EQ(s->matches(web), w) << text;
    EXPECT_EQ(s->matches(db), d) << text;
  };
  check("", true, true);
  check("tier=web", true, false);
  check("tier==db", false, true);
  check("tier!=web", false, true);
  check("tier in (web, api)", true, false);
  check("tier notin (web)", false, true);
  check("env", true, false);
  check("!env", false, true);
  check("tier in (web,db),env", true, false);
  check("missing!=x", true, true);  // absent keys are "not equal"
  EXPECT_FALSE(Selector::labels("tier in web"));
  EXPECT_FALSE(Selector::labels("a b"));
}

TEST(KubeSelectors, FieldsPerType) {
  Resource pods{"", "v1", "pods", "Pod", "pod", true, {}};
  Resource cms{"", "v1", "configmaps", "ConfigMap", "configmap", true, {}};
  Json p = pod(Json::object(), "Running");
  auto s = Selector::fields(pods, "status.phase=Running,spec.nodeName==n1,metadata.namespace=default");
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->matches(p));
  EXPECT_FALSE(Selector::fields(pods, "status.phase!=Running")->matches(p));
  auto bad = Selector::fields(cms, "status.phase=Running");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "field label not supported: status.phase");
  EXPECT_FALSE(Selector::fields(pods, "status.phase"));
}

TEST(KubeQuantity, ParsesAndFormatsAsKubernetes) {
  EXPECT_DOUBLE_EQ(*parse_quantity("500m"), 0.5);
  EXPECT_DOUBLE_EQ(*parse_quantity("2"), 2);
  EXPECT_DOUBLE_EQ(*parse_quantity("128Mi"), 128.0 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(*parse_quantity("1G"), 1e9);
  EXPECT_DOUBLE_EQ(*parse_quantity("1e3"), 1000);
  EXPECT_FALSE(parse_quantity("12 cores"));
  EXPECT_FALSE(parse_quantity(""));
  EXPECT_EQ(format_quantity(0.4, false), "400m");
  EXPECT_EQ(format_quantity(1, false), "1");
  EXPECT_EQ(format_quantity(2000, false), "2k");
  EXPECT_EQ(format_quantity(256.0 * 1024 * 1024, true), "256Mi");
  EXPECT_EQ(format_quantity(1000, true), "1000");
}

TEST(KubeRequestInfo, ResourcesAndVerbs) {
  auto r = request_info("GET", "/api/v1/namespaces/team/pods", false);
  EXPECT_TRUE(r.resource_request);
  EXPECT_EQ(r.verb + " " + r.resource + " " + r.ns + " [" + r.name + "]", "list pods team []");
  r = request_info("GET", "/api/v1/namespaces/team/pods", true);
  EXPECT_EQ(r.verb, "watch");
  r = request_info("PATCH", "/apis/apps/v1/namespaces/team/deployments/web/scale", false);
  EXPECT_EQ(r.api_group + " " + r.verb + " " + r.resource + "/" + r.subresource + " " + r.name, "apps patch deployments/scale web");
  r = request_info("DELETE", "/api/v1/namespaces/team", false);
  EXPECT_EQ(r.verb + " " + r.resource + " " + r.name + " " + r.ns, "delete namespaces team team");
  r = request_info("DELETE", "/api/v1/namespaces/team/configmaps", false);
  EXPECT_EQ(r.verb, "deletecollection");
  r = request_info("GET", "/version", false);
  EXPECT_FALSE(r.resource_request);
  EXPECT_EQ(r.verb, "get");
}

TEST(KubeStrategy, DefaultsAsKubernetes) {
  Resource deploys{"apps", "v1", "deployments", "Deployment", "deployment", true, {}};
  Json d = {{"metadata", {{"name", "web"}}},
            {"spec", {{"selector", {{"matchLabels", {{"app", "web"}}}}},
                      {"template", {{"metadata", {{"labels", {{"app", "web"}}}}},
                                    {"spec", {{"containers", {{{"name", "web"}, {"image", "nginx"},
                                                               {"ports", {{{"containerPort", 80}}}}}}}}}}}}}};
  apply_defaults(deploys, d);
  EXPECT_EQ(d["spec"]["replicas"], 1);
  EXPECT_EQ(d["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"], "25%");
  const Json& c = d["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(c["imagePullPolicy"], "Always");  // no tag means latest
  EXPECT_EQ(c["ports"][0]["protocol"], "TCP");
  EXPECT_EQ(d["spec"]["template"]["spec"]["restartPolicy"], "Always");
  EXPECT_TRUE(validate(deploys, d, Json()).empty());
  Json again = d;
  apply_defaults(deploys, again);
  EXPECT_EQ(again, d);  // idempotent
}

TEST(KubeStrategy, ValidationErrorsAndMessages) {
  Resource deploys{"apps", "v1", "deployments", "Deployment", "deployment", true, {}};
  Json d = {{"metadata", {{"name", "Web"}}},
            {"spec", {{"replicas", -1},
                      {"selector", {{"matchLabels", {{"app", "web"}}}}},
                      {"template", {{"metadata", {{"labels", {{"app", "db"}}}}},
                                    {"spec", {{"restartPolicy", "Never"}, {"containers", {{{"name", "web"}}}}}}}}}}};
  auto errors = validate(deploys, d, Json());
  std::vector<std::string> fields;
  for (auto& e : errors) fields.push_back(e.field + " " + e.reason());
  EXPECT_EQ(fields, (std::vector<std::string>{
                        "metadata.name FieldValueInvalid", "spec.replicas FieldValueInvalid",
                        "spec.template.metadata.labels FieldValueInvalid",
                        "spec.template.spec.containers[0].image FieldValueRequired",
                        "spec.template.spec.restartPolicy FieldValueNotSupported"}));
  EXPECT_EQ(invalid_message(deploys, "x", {errors[1]}),
            "Deployment.apps \"x\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0");
  // The selector cannot change on an update.
  Json ok = {{"metadata", {{"name", "web"}}},
             {"spec", {{"selector", {{"matchLabels", {{"app", "web"}}}}},
                       {"template", {{"metadata", {{"labels", {{"app", "web"}, {"v", "2"}}}}},
                                     {"spec", {{"containers", {{{"name", "web"}, {"image", "nginx"}}}}}}}}}}};
  Json moved = ok;
  moved["spec"]["selector"]["matchLabels"]["v"] = "2";
  auto immutable = validate(deploys, moved, ok);
  ASSERT_EQ(immutable.size(), 1u);
  EXPECT_EQ(immutable[0].field, "spec.selector");
}

TEST(KubeStrategy, StatusAndGenerationOnUpdate) {
  Resource deploys{"apps", "v1", "deployments", "Deployment", "deployment", true, {}};
  Json old = {{"metadata", {{"name", "web"}, {"generation", 3}}}, {"spec", {{"replicas", 1}}}, {"status", {{"replicas", 1}}}};
  Json next = old;
  next["spec"]["replicas"] = 2;
  next["status"]["replicas"] = 9;  // ignored on the main resource
  prepare_for_update(deploys, next, old, false);
  EXPECT_EQ(next["metadata"]["generation"], 4);
  EXPECT_EQ(next["status"]["replicas"], 1);
  Json status = old;
  status["spec"]["replicas"] = 5;  // ignored on the status subresource
  status["status"]["replicas"] = 2;
  prepare_for_update(deploys, status, old, true);
  EXPECT_EQ(status["spec"]["replicas"], 1);
  EXPECT_EQ(status["status"]["replicas"], 2);
}

TEST(KubeAuthn, ServiceAccountTokensAreSignedAndChecked) {
  std::string dir = test::make_temp_dir("berth-authn");
  auto pki = ensure_pki(dir + "/tls", {});
  ASSERT_TRUE(pki);
  auto s = store::open_sqlite(dir + "/state.db");
  ASSERT_TRUE(s);
  Json sa = {{"metadata", {{"name", "ci"}, {"namespace", "team"}, {"uid", "u-1"}}}};
  ASSERT_TRUE((*s)->create("/registry/serviceaccounts/team/ci", dump_json(sa)));
  {
    std::ofstream(dir + "/tokens.csv") << "secret1,alice,42,\"devs,ops\"\n";
  }
  auto a = Authenticator::make(**s, pki->service_account_key, dir + "/tokens.csv");
  ASSERT_TRUE(a) << a.error().message;
  auto token = (*a)->service_account_token("team", "ci", "u-1", 600, {});
  ASSERT_TRUE(token);
  auto who = (*a)->authenticate(Peer{}, "Bearer " + *token);
  ASSERT_TRUE(who);
  EXPECT_EQ(who->name, "system:serviceaccount:team:ci");
  EXPECT_EQ(who->groups, (std::vector<std::string>{"system:serviceaccounts", "system:serviceaccounts:team",
                                                   "system:authenticated"}));
  std::string forged = *token;
  forged[forged.size() / 2] = forged[forged.size() / 2] == 'a' ? 'b' : 'a';
  EXPECT_FALSE((*a)->authenticate(Peer{}, "Bearer " + forged));
  auto alice = (*a)->authenticate(Peer{}, "Bearer secret1");
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->groups, (std::vector<std::string>{"devs", "ops", "system:authenticated"}));
  EXPECT_EQ((*a)->authenticate(Peer{"127.0.0.1", true, "bob", {"team"}}, "")->name, "bob");
  EXPECT_FALSE((*a)->authenticate(Peer{}, ""));
  // A token outlives no account: re-made with another uid, the old token is refused.
  ASSERT_TRUE((*s)->remove("/registry/serviceaccounts/team/ci", 0));
  sa["metadata"]["uid"] = "u-2";
  ASSERT_TRUE((*s)->create("/registry/serviceaccounts/team/ci", dump_json(sa)));
  EXPECT_FALSE((*a)->authenticate(Peer{}, "Bearer " + *token));
  test::sh("rm -rf " + dir);
}

}  // namespace
}  // namespace berth::api::kube
