// The counter demo: opens a data directory, increments one named counter through the runtime and
// prints its new value. Run it twice: the second run prints one more, because the state survived.
//   usage: dort_counter_demo [DATA_DIR [NAME]]     (defaults: ./dort-data, "demo")
#include <iostream>

#include "runtime/runtime.hpp"
#include "samples/counter/counter.hpp"

int main(int argc, char** argv) {
  dort::runtime_options options;
  options.data_dir = argc > 1 ? argv[1] : "dort-data";
  std::string name = argc > 2 ? argv[2] : "demo";
  try {
    dort::runtime rt{options};
    rt.register_class<dort::samples::counter>("counter");
    auto reply = rt.get("counter", name).call("incr", R"({"by":1})");
    std::cout << "counter '" << name << "' in " << options.data_dir.string() << ": " << reply
              << '\n';
  } catch (const dort::error& e) {
    std::cerr << "error (" << dort::code_name(e.code()) << "): " << e.what() << '\n';
    return 1;
  }
  return 0;
}
