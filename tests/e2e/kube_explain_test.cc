// `berth server`'s OpenAPI v3 schemas as kubectl uses them: `kubectl explain` prints the kinds'
// fields and descriptions, and server-side field validation refuses (Strict, kubectl's
// default), reports (Warn) or silently drops (Ignore, --validate=false) unknown fields.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "support/kube_server.h"
#include "support/process.h"

namespace berth::test {
namespace {

class KubeExplainTest : public KubectlTest {
 protected:
  KubeExplainTest() : KubectlTest("berth-explain") {}

  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name) << text;
    return dir_ + "/" + name;
  }
};

TEST_F(KubeExplainTest, ExplainPrintsKindsFieldsAndDescriptions) {
  auto pods = kubectl("explain pods");
  ASSERT_EQ(pods.status, 0) << pods.err;
  EXPECT_TRUE(pods.out.starts_with("KIND:       Pod\n"
                                   "VERSION:    v1\n"
                                   "\n"
                                   "DESCRIPTION:\n"
                                   "    One or more containers scheduled together on a node, sharing network and\n"
                                   "    storage.\n"))
      << pods.out;
  EXPECT_NE(pods.out.find("FIELDS:\n  apiVersion\t<string>\n"), std::string::npos) << pods.out;
  EXPECT_NE(pods.out.find("  metadata\t<ObjectMeta>\n    Standard object metadata.\n"), std::string::npos) << pods.out;
  EXPECT_NE(pods.out.find("  spec\t<PodSpec>\n    What the pod runs and how.\n"), std::string::npos) << pods.out;

  auto containers = kubectl("explain pods.spec.containers");
  ASSERT_EQ(containers.status, 0) << containers.err;
  EXPECT_TRUE(containers.out.starts_with("KIND:       Pod\n"
                                         "VERSION:    v1\n"
                                         "\n"
                                         "FIELD: containers <[]Container>\n"
                                         "\n"
                                         "\n"
                                         "DESCRIPTION:\n"
                                         "    The containers of the pod; at least one.\n"
                                         "    A single application container of a pod.\n"))
      << containers.out;
  EXPECT_NE(containers.out.find("  name\t<string> -required-\n"
                                "    Name of the container, unique in the pod (a DNS label).\n"),
            std::string::npos)
      << containers.out;
  EXPECT_NE(containers.out.find("  imagePullPolicy\t<string>\n"
                                "  enum: Always, Never, IfNotPresent\n"
                                "    When the image is pulled.\n"),
            std::string::npos)
      << containers.out;
  EXPECT_NE(containers.out.find("  livenessProbe\t<Probe>\n"), std::string::npos) << containers.out;

  auto strategy = kubectl("explain deployment.spec.strategy");
  ASSERT_EQ(strategy.status, 0) << strategy.err;
  EXPECT_EQ(strategy.out,
            "GROUP:      apps\n"
            "KIND:       Deployment\n"
            "VERSION:    v1\n"
            "\n"
            "FIELD: strategy <DeploymentStrategy>\n"
            "\n"
            "\n"
            "DESCRIPTION:\n"
            "    How old pods are replaced by new ones.\n"
            "    How a deployment replaces old pods with new ones.\n"
            "    \n"
            "FIELDS:\n"
            "  rollingUpdate\t<RollingUpdateDeployment>\n"
            "    Settings of a rolling update.\n"
            "\n"
            "  type\t<string>\n"
            "  enum: Recreate, RollingUpdate\n"
            "    Recreate removes all old pods first; RollingUpdate replaces them gradually\n"
            "    (the default).\n"
            "\n"
            "\n");

  auto ports = kubectl("explain svc.spec.ports --recursive");
  ASSERT_EQ(ports.status, 0) << ports.err;
  EXPECT_EQ(ports.out,
            "KIND:       Service\n"
            "VERSION:    v1\n"
            "\n"
            "FIELD: ports <[]ServicePort>\n"
            "\n"
            "\n"
            "DESCRIPTION:\n"
            "    Ports the service exposes.\n"
            "    A port of a service.\n"
            "    \n"
            "FIELDS:\n"
            "  appProtocol\t<string>\n"
            "  name\t<string>\n"
            "  nodePort\t<integer>\n"
            "  port\t<integer> -required-\n"
            "  protocol\t<string>\n"
            "  enum: SCTP, TCP, UDP\n"
            "  targetPort\t<IntOrString>\n"
            "\n");

  auto missing = kubectl("explain pods.spec.nope");
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.err.find("error: field \"nope\" does not exist"), std::string::npos) << missing.err;
}

TEST_F(KubeExplainTest, UnknownFieldsAreRefusedReportedOrDropped) {
  std::string file = write("web.yaml", R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx
        imagePullPolicy: IfNotPresent
        imagee: typo
)");
  // kubectl's default (--validate=strict) sends fieldValidation=Strict: nothing is stored.
  auto strict = kubectl("apply -f " + file);
  EXPECT_NE(strict.status, 0);
  EXPECT_NE(strict.err.find("Error from server (BadRequest): error when creating \"" + file +
                            "\": Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: "
                            "unknown field \"spec.template.spec.containers[0].imagee\""),
            std::string::npos)
      << strict.err;
  EXPECT_EQ(kubectl("get deployments -o name").out, "");
  // --validate=false (Ignore): stored, with the unknown field dropped as kube-apiserver does.
  auto ignored = kubectl("apply --validate=false -f " + file);
  ASSERT_EQ(ignored.status, 0) << ignored.err;
  EXPECT_EQ(ignored.out, "deployment.apps/web created\n");
  EXPECT_EQ(ignored.err, "");
  EXPECT_EQ(kubectl("get deployment web -o jsonpath='{.spec.template.spec.containers[0]}'").out,
            R"({"image":"nginx","imagePullPolicy":"IfNotPresent","name":"web","resources":{},)"
            R"("terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"})");  // defaults
  // Applied again with Strict, the patch that brings the field back is refused (422 on "patch").
  auto again = kubectl("apply -f " + file);
  EXPECT_NE(again.status, 0);
  EXPECT_TRUE(again.err.starts_with("The request is invalid: patch: Invalid value: ")) << again.err;
  EXPECT_NE(again.err.find("\": strict decoding error: unknown field \"spec.template.spec.containers[0].imagee\""),
            std::string::npos)
      << again.err;

  // --validate=warn: stored, dropped, and each unknown field named in a warning.
  std::string cm = write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n"
                                    "  labelz: {a: b}\ndataa:\n  one: \"1\"\ndata:\n  two: \"2\"\n");
  auto warned = kubectl("create --validate=warn -f " + cm);
  ASSERT_EQ(warned.status, 0) << warned.err;
  EXPECT_EQ(warned.err, "Warning: unknown field \"dataa\"\nWarning: unknown field \"metadata.labelz\"\n");
  EXPECT_EQ(kubectl("get configmap settings -o jsonpath='{.data}'").out, R"({"two":"2"})");
  // A replace (PUT) is checked the same way.
  auto replaced = kubectl("replace -f " + cm);
  EXPECT_NE(replaced.status, 0);
  EXPECT_NE(replaced.err.find("ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: "
                              "unknown field \"dataa\", unknown field \"metadata.labelz\""),
            std::string::npos)
      << replaced.err;
  // kubectl patch sends no fieldValidation: Warn, kube-apiserver's default.
  auto patched = kubectl("patch configmap settings --type=merge -p '{\"data\":{\"three\":\"3\"},\"extra\":1}'");
  ASSERT_EQ(patched.status, 0) << patched.err;
  EXPECT_EQ(patched.err, "Warning: unknown field \"extra\"\n");
  EXPECT_EQ(kubectl("get configmap settings -o json | grep -c extra").out, "0\n");
  EXPECT_EQ(kubectl("get configmap settings -o jsonpath='{.data}'").out, R"({"three":"3","two":"2"})");
}

}  // namespace
}  // namespace berth::test
