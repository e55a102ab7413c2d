// cxx_inlined.cc — C++ containers whose growth the compiler inlines into the program's
// functions (the test builds it with -O2 as well as the default -fno-inline): the site
// must be the line that used the container, not the inlined std:: code, operator new,
// or the caller of the function the growth was inlined into.
#include <cstdio>
#include <leakscope.h>
#include <map>
#include <string>
#include <vector>

struct Sample {
    double t, x, u, s;
};  // 32 bytes

static std::vector<Sample> history;
static std::map<long, std::string> seen;

__attribute__((noinline)) static void record(double t)
{
    history.push_back(Sample{t, t * 2, t * 3, t * 4});  // SITE:vector_site
}

__attribute__((noinline)) static void remember(long id)
{
    seen[id] = "session-" + std::to_string(id) + "-with-a-long-enough-payload";  // SITE:map_site
}

int main()
{
    for (long s = 0; s < 1000; s++) {
        record(s * 0.01);
        remember(s);
    }
    std::printf("%zu %zu\n", history.size(), seen.size());  // SITE:stdout_buffer
    // The containers are static: their destructors would free everything before the
    // exit snapshot, so take the snapshot while they are full.
    leakscope_snapshot("full");
    return 0;
}
