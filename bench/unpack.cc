// berth-bench-unpack LAYER DIR: unpacks one layer blob (any compression) into the new
// directory DIR with berth's layer unpacker (image/layer.h), then syncs the file system, and
// prints "<seconds> <bytes of file content> <diff_id>". Used by bench/pull to compare
// unpacking with GNU tar and with the disk's own write speed.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "image/layer.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: berth-bench-unpack LAYER DIR\n");
    return 2;
  }
  if (::mkdir(argv[2], 0755) < 0) {
    std::perror(argv[2]);
    return 1;
  }
  auto t0 = std::chrono::steady_clock::now();
  auto r = berth::image::unpack_layer(berth::image::file_reader(argv[1]), argv[2]);
  if (!r) {
    std::fprintf(stderr, "unpack: %s\n", r.error().message.c_str());
    return 1;
  }
  int fd = ::open(argv[2], O_RDONLY | O_DIRECTORY);
  ::syncfs(fd);
  ::close(fd);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%.4f %lld %s\n", s, static_cast<long long>(r->size), r->diff_id.c_str());
  return 0;
}
