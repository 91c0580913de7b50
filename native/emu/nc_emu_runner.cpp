// nc-emu-runner — runs a recorded sequence of emulated-device operations in its own process.
//
// Tests that must survive a crash or that run under AddressSanitizer / ThreadSanitizer
// record allocations, uploads, launches and downloads (C# ScriptDriver) into a script and
// run it here: a fault or a sanitizer report ends this process, never the test host.
//
//   nc-emu-runner SCRIPT        (file names in the script are relative to its folder)
//
// Script lines:
//   order <0|1|2> <seed>                       fiber order: forward, reverse, random
//   alloc <id> <bytes>
//   upload <id> <file>                         file holds exactly the bytes to copy
//   memset <id> <byte>
//   launch <library.so> <kernel> <gx> <gy> <gz> <bx> <by> <bz> <smem> <nargs> <arg>...
//          arg: p<id> (device pointer) | i<int32> | u<uint32> | f<float bits, hex> | l<int64> | q<uint64>
//   download <id> <file>
//   free <id>
// Exit status: 0 done, 2 bad script, 3 a launch failed (message on stderr).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>
#include <dlfcn.h>

extern "C" const char* nc_emu_last_error(void);
extern "C" void nc_emu_set_order(int mode, unsigned long long seed);

typedef int (*emu_entry)(unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, void**);

static int fail(const std::string& msg, int code)
{
    fprintf(stderr, "nc-emu-runner: %s\n", msg.c_str());
    return code;
}

int main(int argc, char** argv)
{
    if (argc != 2) return fail("usage: nc-emu-runner SCRIPT", 2);
    std::string script = argv[1];
    std::string dir = script.find('/') == std::string::npos ? "." : script.substr(0, script.rfind('/'));
    std::ifstream in(script);
    if (!in) return fail("cannot open " + script, 2);
    std::map<long, std::pair<unsigned char*, size_t>> buffers;
    std::map<std::string, void*> libraries;
    std::string line;
    int lineno = 0;
    while (std::getline(in, line))
    {
        lineno++;
        std::istringstream s(line);
        std::string op;
        if (!(s >> op) || op[0] == '#') continue;
        std::string where = "line " + std::to_string(lineno) + ": ";
        if (op == "order")
        {
            int mode; unsigned long long seed;
            s >> mode >> seed;
            nc_emu_set_order(mode, seed);
        }
        else if (op == "alloc")
        {
            long id; size_t bytes;
            s >> id >> bytes;
            // Exactly the bytes asked for, so that AddressSanitizer catches the first byte past the end.
            void* p = nullptr;
            if (posix_memalign(&p, 256, bytes == 0 ? 1 : bytes) != 0) return fail(where + "out of memory", 2);
            buffers[id] = {(unsigned char*)p, bytes};
        }
        else if (op == "upload" || op == "download")
        {
            long id; std::string file;
            s >> id >> file;
            auto it = buffers.find(id);
            if (it == buffers.end()) return fail(where + "unknown buffer", 2);
            std::string path = dir + "/" + file;
            if (op == "upload")
            {
                std::ifstream f(path, std::ios::binary);
                f.read((char*)it->second.first, (std::streamsize)it->second.second);
                if ((size_t)f.gcount() != it->second.second) return fail(where + "short file " + path, 2);
            }
            else
            {
                std::ofstream f(path, std::ios::binary);
                f.write((const char*)it->second.first, (std::streamsize)it->second.second);
            }
        }
        else if (op == "memset")
        {
            long id; int byte;
            s >> id >> byte;
            memset(buffers.at(id).first, byte, buffers.at(id).second);
        }
        else if (op == "free")
        {
            long id;
            s >> id;
            free(buffers.at(id).first);
            buffers.erase(id);
        }
        else if (op == "launch")
        {
            std::string lib, kernel;
            unsigned g[3], b[3], smem;
            int nargs;
            s >> lib >> kernel >> g[0] >> g[1] >> g[2] >> b[0] >> b[1] >> b[2] >> smem >> nargs;
            void*& h = libraries[lib];
            if (!h && !(h = dlopen(lib.c_str(), RTLD_NOW | RTLD_LOCAL))) return fail(where + dlerror(), 2);
            auto entry = (emu_entry)dlsym(h, (kernel + "__emu").c_str());
            if (!entry) return fail(where + "no kernel " + kernel + " in " + lib, 2);
            std::vector<uint64_t> values(nargs);
            std::vector<void*> argv(nargs);
            for (int i = 0; i < nargs; i++)
            {
                std::string a;
                s >> a;
                const char* v = a.c_str() + 1;
                switch (a[0])
                {
                case 'p': { auto it = buffers.find(atol(v)); values[i] = it == buffers.end() ? 0 : (uint64_t)it->second.first; break; }
                case 'i': { int32_t x = (int32_t)strtol(v, nullptr, 10); memcpy(&values[i], &x, 4); break; }
                case 'u': { uint32_t x = (uint32_t)strtoul(v, nullptr, 10); memcpy(&values[i], &x, 4); break; }
                case 'f': { uint32_t x = (uint32_t)strtoul(v, nullptr, 16); memcpy(&values[i], &x, 4); break; }
                case 'l': { int64_t x = strtoll(v, nullptr, 10); memcpy(&values[i], &x, 8); break; }
                case 'q': { uint64_t x = strtoull(v, nullptr, 10); memcpy(&values[i], &x, 8); break; }
                default: return fail(where + "bad argument " + a, 2);
                }
                argv[i] = &values[i];
            }
            if (entry(g[0], g[1], g[2], b[0], b[1], b[2], smem, argv.data()) != 0)
                return fail(where + nc_emu_last_error(), 3);
        }
        else
            return fail(where + "unknown operation " + op, 2);
    }
    for (auto& [id, buf] : buffers) free(buf.first);
    return 0;
}
