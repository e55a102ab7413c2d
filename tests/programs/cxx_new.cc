// cxx_new.cc — C++ allocations through operator new / new[] / std containers, charged
// to the lines that used them (operator new is an allocation wrapper).
#include <cstdio>
#include <string>
#include <vector>

struct Node {
    double value[5];
    Node *next;
};  // 48 bytes

std::vector<Node *> kept;
int *arrays[4];

static void make_nodes()
{
    for (int i = 0; i < 7; i++)
        kept.push_back(new Node());  // SITE:new_site
}

static void make_arrays()
{
    for (int i = 0; i < 4; i++)
        arrays[i] = new int[25];  // SITE:new_array_site
}

int main()
{
    kept.reserve(16);  // SITE:reserve_site
    make_nodes();
    make_arrays();
    for (int i = 0; i < 100; i++) {
        Node *tmp = new Node();  // SITE:temp_site
        delete tmp;
    }
    std::printf("nodes=%zu\n", kept.size());
    return 0;
}
