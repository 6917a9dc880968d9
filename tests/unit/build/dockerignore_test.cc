// Expected values come from moby/patternmatcher's tests (patternmatcher_test.go TestMatches,
// the filepath.Match table matchTests, the TestPattern* cases; ignorefile_test.go TestReadAll)
// and the Dockerfile reference's ".dockerignore file" section, unless a comment says otherwise.
#include "build/dockerignore.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "common/fs.h"

namespace berth::build {
namespace {

using Strings = std::vector<std::string>;

IgnoreMatcher matcher(const Strings& patterns) {
  auto m = IgnoreMatcher::create(patterns);
  EXPECT_TRUE(m) << m.error().message;
  return m ? *m : IgnoreMatcher();
}

TEST(DockerIgnore, ReadsPatternFile) {
  // ignorefile_test.go TestReadAll.
  EXPECT_EQ(parse_dockerignore(""), Strings{});
  EXPECT_EQ(parse_dockerignore("test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n"
                               "! /inverted/abs/path\n!\n! "),
            (Strings{"test1", "test2", "a/file/here", "lastfile", "!inverted/abs/path", "!", "!"}));
  // Cleaning (filepath.Clean), CRLF, a BOM, and '#' only at the start of a line.
  EXPECT_EQ(parse_dockerignore("\xEF\xBB\xBF# c\r\n  ./a//b/../c/  \r\n  # not a comment\n"
                               "../up\n/\n!/x/./y"),
            (Strings{"a/c", "# not a comment", "../up", "/", "!x/y"}));
}

TEST(DockerIgnore, SinglePatternTable) {
  // patternmatcher_test.go TestMatches (MatchesOrParentMatches); the "/" inputs are left out:
  // excluded() never excludes the context root.
  struct Case {
    const char* pattern;
    const char* path;
    bool excluded;
  };
  const Case cases[] = {
      {"**", "file", true},
      {"**", "file/", true},
      {"**/", "file", true},
      {"**/", "file/", true},
      {"**", "dir/file", true},
      {"**/", "dir/file", true},
      {"**", "dir/file/", true},
      {"**/**", "dir/file", true},
      {"**/**", "dir/file/", true},
      {"dir/**", "dir/file", true},
      {"dir/**", "dir/file/", true},
      {"dir/**", "dir/dir2/file", true},
      {"**/dir", "dir", true},
      {"**/dir", "dir/file", true},
      {"**/dir2/*", "dir/dir2/file", true},
      {"**/dir2/**", "dir/dir2/dir3/file", true},
      {"**file", "file", true},
      {"**file", "dir/file", true},
      {"**/file", "dir/file", true},
      {"**file", "dir/dir/file", true},
      {"**/file*", "dir/dir/file.txt", true},
      {"**/file*txt", "dir/dir/file.txt", true},
      {"**/file*.txt*", "dir/dir/file.txt", true},
      {"**/**/*.txt", "dir/dir/file.txt", true},
      {"**/**/*.txt2", "dir/dir/file.txt", false},
      {"**/*.txt", "file.txt", true},
      {"**/**/*.txt", "file.txt", true},
      {"a**/*.txt", "a/file.txt", true},
      {"a**/*.txt", "a/dir/file.txt", true},
      {"a**/*.txt", "a/dir/dir/file.txt", true},
      {"a/*.txt", "a/dir/file.txt", false},
      {"a/*.txt", "a/file.txt", true},
      {"a/*.txt**", "a/file.txt", true},
      {"a[b-d]e", "ae", false},
      {"a[b-d]e", "ace", true},
      {"a[b-d]e", "aae", false},
      {"a[^b-d]e", "aze", true},
      {".*", ".foo", true},
      {".*", "foo", false},
      {"abc.def", "abcdef", false},
      {"abc.def", "abc.def", true},
      {"abc.def", "abcZdef", false},
      {"abc?def", "abcZdef", true},
      {"abc?def", "abcdef", false},
      {"a\\\\", "a\\", true},
      {"**/foo/bar", "foo/bar", true},
      {"**/foo/bar", "dir/foo/bar", true},
      {"**/foo/bar", "dir/dir2/foo/bar", true},
      {"abc/**", "abc", false},
      {"abc/**", "abc/def", true},
      {"abc/**", "abc/def/ghi", true},
      {"**/.foo", ".foo", true},
      {"**/.foo", "bar.foo", false},
      {"a(b)c/def", "a(b)c/def", true},
      {"a(b)c/def", "a(b)c/xyz", false},
      {"a.|)$(}+{bc", "a.|)$(}+{bc", true},
      {"dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true},
      {"a\\*b", "a*b", true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(matcher({c.pattern}).excluded(c.path), c.excluded)
        << "pattern " << c.pattern << " path " << c.path;
  }
}

TEST(DockerIgnore, GoMatchTable) {
  // patternmatcher_test.go matchTests (Go's filepath.Match cases), through Matches().
  struct Case {
    const char* pattern;
    const char* path;
    bool excluded;
  };
  const Case cases[] = {
      {"abc", "abc", true},
      {"*", "abc", true},
      {"*c", "abc", true},
      {"a*", "a", true},
      {"a*", "abc", true},
      {"a*", "ab/c", true},  // the parent "ab" matches
      {"a*/b", "abc/b", true},
      {"a*/b", "a/c/b", false},
      {"a*b*c*d*e*/f", "axbxcxdxe/f", true},
      {"a*b*c*d*e*/f", "axbxcxdxexxx/f", true},
      {"a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false},
      {"a*b*c*d*e*/f", "axbxcxdxexxx/fff", false},
      {"a*b?c*x", "abxbbxdbxebxczzx", true},
      {"a*b?c*x", "abxbbxdbxebxczzy", false},
      {"ab[c]", "abc", true},
      {"ab[b-d]", "abc", true},
      {"ab[e-g]", "abc", false},
      {"ab[^c]", "abc", false},
      {"ab[^b-d]", "abc", false},
      {"ab[^e-g]", "abc", true},
      {"a\\*b", "ab", false},
      {"a?b", "a☺b", true},
      {"a[^a]b", "a☺b", true},
      {"a???b", "a☺b", false},
      {"a[^a][^a][^a]b", "a☺b", false},
      {"[a-ζ]*", "α", true},
      {"*[a-ζ]", "A", false},
      {"a?b", "a/b", false},
      {"a*b", "a/b", false},
      {"[\\]a]", "]", true},
      {"[\\-]", "-", true},
      {"[x\\-]", "x", true},
      {"[x\\-]", "-", true},
      {"[x\\-]", "z", false},
      {"[\\-x]", "x", true},
      {"[\\-x]", "-", true},
      {"[\\-x]", "a", false},
      {"*x", "xxx", true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(matcher({c.pattern}).excluded(c.path), c.excluded)
        << "pattern " << c.pattern << " path " << c.path;
  }
}

TEST(DockerIgnore, MalformedPatterns) {
  // matchTests' ErrBadPattern rows, TestMatchesWithMalformedPatterns, and "[Local-Only]"
  // (moby/moby#52203: a class range the regexp cannot compile).
  for (const char* bad :
       {"[]a]", "[-]", "[x-]", "[-x]", "\\", "[a-b-c]", "[", "[^", "[^bc", "a[", "[Local-Only]/"}) {
    auto m = IgnoreMatcher::create({bad});
    ASSERT_FALSE(m) << bad;
    EXPECT_EQ(m.error().code, Errc::kInvalidArgument);
    EXPECT_EQ(m.error().message.rfind("syntax error in pattern ", 0), 0u) << m.error().message;
  }
  // TestSingleExclamationError.
  auto bang = IgnoreMatcher::create({"!"});
  ASSERT_FALSE(bang);
  EXPECT_EQ(bang.error().message, "illegal exclusion pattern: \"!\"");
}

TEST(DockerIgnore, ExceptionsAndOrder) {
  // patternmatcher_test.go TestExclusionPattern*, TestPatternMatchesFolder*, multiPatternTests.
  EXPECT_TRUE(matcher({"!fileutils.go", "*.go"}).excluded("fileutils.go"));
  EXPECT_FALSE(matcher({"*.go", "!fileutils.go"}).excluded("fileutils.go"));
  EXPECT_FALSE(matcher({"docs", "!docs/README.md"}).excluded("docs/README.md"));
  EXPECT_FALSE(matcher({"docs/", "!docs/README.md"}).excluded("docs/README.md"));
  EXPECT_FALSE(matcher({"docs/*", "!docs/README.md"}).excluded("docs/README.md"));
  EXPECT_TRUE(matcher({"docs", "!docs/README.md"}).excluded("docs/other.md"));
  EXPECT_FALSE(matcher({"**", "!util/docker/web"}).excluded("util/docker/web/foo"));
  EXPECT_TRUE(
      matcher({"**", "!util/docker/web", "util/docker/web/foo"}).excluded("util/docker/web/foo"));
  EXPECT_FALSE(matcher({"**", "!dist/*.whl"})
                   .excluded("dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl"));
  // Reference example: "*.md" then "!README*.md" then "README-secret.md".
  IgnoreMatcher md = matcher({"*.md", "!README*.md", "README-secret.md"});
  EXPECT_TRUE(md.excluded("CHANGELOG.md"));
  EXPECT_FALSE(md.excluded("README-public.md"));
  EXPECT_TRUE(md.excluded("README-secret.md"));
  EXPECT_TRUE(md.has_exceptions());
  EXPECT_FALSE(matcher({"*.md"}).has_exceptions());
  // TestCleanPatternsLeadingSpaceTrimmed / TrailingSpaceTrimmed.
  EXPECT_TRUE(matcher({"docs", "  !docs/README.md  "}).has_exceptions());
}

TEST(DockerIgnore, ParentsPathsAndRoot) {
  // Reference: "*/temp*" excludes /somedir/temporary.txt and /somedir/temp; "*/*/temp*" two
  // levels down; "temp?" one character more. A matching directory excludes what is below it.
  IgnoreMatcher m = matcher(parse_dockerignore("# comment\n*/temp*\n*/*/temp*\ntemp?\n"));
  EXPECT_TRUE(m.excluded("somedir/temporary.txt"));
  EXPECT_TRUE(m.excluded("somedir/temp"));
  EXPECT_TRUE(m.excluded("somedir/temp/inside/file"));
  EXPECT_TRUE(m.excluded("somedir/subdir/temporary.txt"));
  EXPECT_TRUE(m.excluded("tempa"));
  EXPECT_FALSE(m.excluded("tempab"));
  EXPECT_FALSE(m.excluded("temp"));
  EXPECT_FALSE(m.excluded("a/b/c/temp"));
  // Paths are cleaned and a leading '/' dropped; the root is never excluded
  // (TestExclusionPatternMatchesWholeDirectory).
  EXPECT_TRUE(m.excluded("/somedir//./temp"));
  EXPECT_FALSE(matcher({"*"}).excluded("."));
  EXPECT_FALSE(matcher({"**"}).excluded(""));
  EXPECT_TRUE(matcher({"*"}).excluded("fileutils.go"));  // TestWildcardMatches
  EXPECT_FALSE(IgnoreMatcher().excluded("any/path"));    // TestMatchesWithNoPatterns
  EXPECT_FALSE(matcher({"docs", "config", ""}).excluded("doc"));
}

TEST(DockerIgnore, SkippableDirectories) {
  // fsutil filter.go: an excluded directory is skipped unless an exception could re-include
  // something under it; any exception with a wildcard (beyond a trailing /* or /**) disables
  // skipping.
  IgnoreMatcher plain = matcher({"node_modules", ".git"});
  EXPECT_TRUE(plain.can_skip_dir("node_modules"));
  EXPECT_TRUE(plain.can_skip_dir(".git"));
  EXPECT_FALSE(plain.can_skip_dir("src"));

  IgnoreMatcher keep = matcher({"build", "!build/keep.txt", "vendor/**", "!vendor/keep/**"});
  EXPECT_FALSE(keep.can_skip_dir("build"));
  EXPECT_FALSE(keep.excluded("build/keep.txt"));
  EXPECT_TRUE(keep.excluded("build/other.txt"));
  EXPECT_TRUE(keep.can_skip_dir("vendor/lib"));
  EXPECT_FALSE(keep.can_skip_dir("vendor/keep"));
  EXPECT_FALSE(keep.excluded("vendor/keep/a.go"));

  IgnoreMatcher other = matcher({"build", "!docs/keep"});
  EXPECT_TRUE(other.can_skip_dir("build"));

  IgnoreMatcher wild = matcher({"*.tmp", "!*/important.tmp"});
  EXPECT_TRUE(wild.excluded("x.tmp"));
  EXPECT_FALSE(wild.can_skip_dir("x.tmp"));
}

class DockerIgnoreFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-dockerignore-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { (void)fs::remove_all(dir_); }
  void write(const std::string& rel, std::string_view data) {
    std::string path = fs::join(dir_, rel);
    ASSERT_TRUE(fs::mkdir_all(path.substr(0, path.rfind('/'))));
    ASSERT_TRUE(fs::atomic_write(path, data));
  }
  std::string dir_;
};

TEST_F(DockerIgnoreFiles, PicksTheDockerfileSpecificFileFirst) {
  // Reference, ".dockerignore file": <Dockerfile>.dockerignore beside the Dockerfile takes
  // precedence over the context root's .dockerignore.
  std::string dockerfile = fs::join(dir_, "Dockerfile");
  EXPECT_EQ(find_ignore_file(dir_, dockerfile), "");
  write(".dockerignore", "*.log\n");
  write("Dockerfile", "FROM a\n");
  EXPECT_EQ(find_ignore_file(dir_, dockerfile), fs::join(dir_, ".dockerignore"));
  write("Dockerfile.dockerignore", "secret/\n");
  EXPECT_EQ(find_ignore_file(dir_, dockerfile), fs::join(dir_, "Dockerfile.dockerignore"));
  std::string custom = fs::join(dir_, "ci/app.Dockerfile");
  write("ci/app.Dockerfile", "FROM a\n");
  EXPECT_EQ(find_ignore_file(dir_, custom), fs::join(dir_, ".dockerignore"));
  write("ci/app.Dockerfile.dockerignore", "*.tmp\n!keep.tmp\n");
  EXPECT_EQ(find_ignore_file(dir_, custom), fs::join(dir_, "ci/app.Dockerfile.dockerignore"));

  auto m = load_ignore_matcher(dir_, custom);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_TRUE(m->excluded("a.tmp"));
  EXPECT_FALSE(m->excluded("keep.tmp"));
  EXPECT_FALSE(m->excluded("x.log"));  // the root file no longer applies
  auto root = load_ignore_matcher(dir_, fs::join(dir_, "none/Dockerfile"));
  ASSERT_TRUE(root) << root.error().message;
  EXPECT_TRUE(root->excluded("x.log"));
}

TEST_F(DockerIgnoreFiles, ReportsBadPatternsWithTheFile) {
  write(".dockerignore", "ok\n[\n");
  auto m = load_ignore_matcher(dir_, fs::join(dir_, "Dockerfile"));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Errc::kInvalidArgument);
  EXPECT_EQ(m.error().message, fs::join(dir_, ".dockerignore") + ": syntax error in pattern \"[\"");
  auto none = load_ignore_matcher(fs::join(dir_, "missing"), "");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->excluded("anything"));
}

}  // namespace
}  // namespace berth::build
