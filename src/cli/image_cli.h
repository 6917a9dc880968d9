// `berth pull|push|images|tag|rmi|inspect|history|save|load|import|login|logout`,
// `berth image <verb>` and `berth system df`: docker's image commands, flags and output.
// Until the engine daemon exists they run the image service in-process on --data-root
// (default /var/lib/berth; env BERTH_DATA_ROOT).
#pragma once

namespace berth::cli {

// argv[0] is the verb's parent ("berth"); returns the exit status (1 after one error line).
int image_main(int argc, char** argv);

// Whether `verb` is one of the image commands above (so main can dispatch to image_main).
bool is_image_command(const char* verb);

}  // namespace berth::cli
