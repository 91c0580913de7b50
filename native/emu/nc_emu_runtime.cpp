// nc_emu_runtime.cpp — the emulated CUDA device's runtime (libnc_emu_rt.so).
//
// A launch runs its blocks on a persistent pool of worker threads (one launch at a time,
// like one stream). A worker runs a block to completion; the block's CUDA threads are
// fibers on that worker, so `static thread_local` serves as __shared__.
//
// Fibers: a hand-written register-save context switch on x86-64 (≈13 ns), ucontext
// elsewhere or with -DNC_EMU_UCONTEXT. Fibers start lazily and chain: a thread that
// finishes without suspending lets the next unstarted thread run on the same stack, so an
// elementwise kernel never switches at all. A stack (mmap + guard page) is taken only when
// a thread suspends at a barrier or a warp intrinsic.
//
// Scheduling order of a block's threads: forward, reverse or random (NC_EMU_ORDER or
// nc_emu_set_order). Races that a missing __syncthreads causes show up as differences
// between orders.
//
// __syncthreads: counting barrier with a generation number; exited threads count as
// arrived; two different call sites meeting at one barrier are reported with file:line.
// Warp intrinsics (*_sync): per-warp arrival mask; the last participating lane computes
// every lane's result; participating = mask ∩ existing lanes ∩ not exited.
// cp.async: between its issue and the wait that covers it, a copy's destination is undefined
// on the hardware (the copy may land at any moment in between). The emulator makes that
// visible at both ends: the issue fills the destination with 0xFF bytes (a NaN as fp32 and as
// bf16), so a thread still reading a stage that another thread has begun to refill reads NaN
// and ThreadSanitizer sees an unsynchronised write (the runtime announces its accesses for the
// kernel with __tsan_{read,write}_range); the copy itself (copied, zero-filled) is
// queued on the fiber and lands when that thread's cp.async.wait_group covers its group, the
// latest moment, so a read before the wait reads NaN too. A thread that exits with copies
// still queued is reported.
//
// Sanitizers: the runtime is never instrumented. Under ThreadSanitizer each CUDA thread is
// a TSan fiber, switched without synchronisation, and barriers / warp ops are annotated
// with release/acquire so that only real races are reported. Under AddressSanitizer stack
// switches are announced with __sanitizer_{start,finish}_switch_fiber.
//
// Faults: outside the sanitizer builds a SIGSEGV/SIGBUS on a worker inside a kernel is
// turned into a launch error naming kernel, block and thread (stack overflow when the
// address is in a guard page) instead of killing the process.

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>
#include <sys/mman.h>
#include <unistd.h>

#if !defined(__x86_64__) || defined(NC_EMU_UCONTEXT)
#define NC_EMU_USE_UCONTEXT 1
#include <ucontext.h>
#endif

#include "nc_emu.hpp"

// ---- sanitizer hooks (weak: present only when a sanitizer runtime is in the process) ----
extern "C" {
void* __tsan_get_current_fiber(void) __attribute__((weak));
void* __tsan_create_fiber(unsigned flags) __attribute__((weak));
void __tsan_destroy_fiber(void* fiber) __attribute__((weak));
void __tsan_switch_to_fiber(void* fiber, unsigned flags) __attribute__((weak));
void __tsan_set_fiber_name(void* fiber, const char* name) __attribute__((weak));
void __tsan_acquire(void* addr) __attribute__((weak));
void __tsan_release(void* addr) __attribute__((weak));
void __tsan_read_range(void* addr, unsigned long size) __attribute__((weak));
void __tsan_write_range(void* addr, unsigned long size) __attribute__((weak));
void __sanitizer_start_switch_fiber(void** fake_stack_save, const void* bottom, size_t size) __attribute__((weak));
void __sanitizer_finish_switch_fiber(void* fake_stack_save, const void** bottom_old, size_t* size_old) __attribute__((weak));
}
static inline bool tsan_on() { return __tsan_switch_to_fiber != nullptr && __tsan_create_fiber != nullptr; }
static inline bool asan_on() { return __sanitizer_start_switch_fiber != nullptr; }
static inline void tsan_release(void* a) { if (__tsan_release) __tsan_release(a); }
static inline void tsan_acquire(void* a) { if (__tsan_acquire) __tsan_acquire(a); }
// Accesses the runtime makes on a kernel's behalf (cp.async), which ThreadSanitizer would not see:
// the runtime is not instrumented.
static inline void tsan_read(const void* a, size_t n) { if (__tsan_read_range && n) __tsan_read_range(const_cast<void*>(a), n); }
static inline void tsan_write(void* a, size_t n) { if (__tsan_write_range && n) __tsan_write_range(a, n); }

extern "C" {
__attribute__((visibility("default"))) __thread nc_emu_thread* nc_emu_self = nullptr;
}

namespace {

// ---- context switch ----------------------------------------------------------------------
#ifndef NC_EMU_USE_UCONTEXT
extern "C" void nc_emu_switch(void** save_sp, void* new_sp);
extern "C" void nc_emu_fiber_entry();
// Saves callee-saved registers, MXCSR and the x87 control word on the current stack, stores
// the stack pointer in *save_sp, and restores the same from new_sp.
asm(R"(
    .text
    .globl nc_emu_switch
    .hidden nc_emu_switch
    .type nc_emu_switch,@function
nc_emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size nc_emu_switch, .-nc_emu_switch

    .globl nc_emu_fiber_entry
    .hidden nc_emu_fiber_entry
    .type nc_emu_fiber_entry,@function
nc_emu_fiber_entry:
    movq %r12, %rdi
    callq *%r13
    ud2
    .size nc_emu_fiber_entry, .-nc_emu_fiber_entry
)");
struct Context { void* sp = nullptr; };
#else
struct Context { ucontext_t uc; };
#endif

struct Stack
{
    char* map = nullptr;   // mapping start (guard page first)
    size_t map_size = 0;
    char* base = nullptr;  // usable bottom (just above the guard page)
    size_t size = 0;
    Context ctx;           // context of the fiber suspended on this stack
    void* asan_fake = nullptr;
};

enum class State : uint8_t { NotStarted, Running, Waiting, Done };

// One cp.async of a thread, not yet landed: its destination holds NaN bytes from the issue, and
// the copy lands (src_bytes copied, the rest of bytes zeroed) when the thread waits for its
// group, the latest moment the hardware may complete it.
struct AsyncCopy
{
    void* dst;
    const void* src;
    unsigned bytes, src_bytes, group;
};
enum class WaitKind : uint8_t { None, Barrier, Warp };

struct Fiber
{
    nc_emu_thread t;   // must stay first: kernels read it through nc_emu_self
    State state = State::NotStarted;
    WaitKind wait = WaitKind::None;
    unsigned wait_gen = 0;
    int lane = 0, warp = 0;
    Stack* stack = nullptr;
    void* tsan = nullptr;
    // current warp operation
    unsigned long long wvalue = 0, wresult = 0;
    int wparam = 0, wwidth = 32;
    unsigned wmask = 0;
    // cp.async: copies not yet landed, and the number of groups committed so far (the copies
    // issued now belong to group `groups`, committed by the next cp.async.commit_group).
    std::vector<AsyncCopy> copies;
    unsigned groups = 0;
};

struct WarpState
{
    unsigned existing = 0, exited = 0, arrived = 0, mask = 0;
    unsigned gen = 0;
    char tsan_gen[2] = {0, 0};   // TSan sync object of warp operation `gen` (gen % 2); see Block::tsan_barrier
    int op = -1;
    const char* file = nullptr;
    int line = 0;
};

struct Launch
{
    const char* kernel;
    unsigned g[3], b[3], smem;
    nc_emu_body body;
    void* ctx;
    nc_emu_body touch_tls;
    unsigned long long nblocks;
    std::atomic<unsigned long long> next{0};
    std::atomic<bool> failed{false};
    std::mutex err_mu;
    std::string error;
    unsigned long long serial;
};

struct Block
{
    Launch* L = nullptr;
    uint3 bid{};
    std::vector<Fiber> fibers;
    std::vector<int> order;
    size_t next_start = 0;   // index into order of the next thread to start
    int n = 0, live = 0;
    unsigned bar_arrived = 0, bar_gen = 0;
    const char* bar_file = nullptr;
    int bar_line = 0;
    std::vector<WarpState> warps;
    bool aborted = false;
    char tsan_sync = 0;      // released by each thread as it exits, acquired by the worker after the block
    // TSan sync object of barrier generation `bar_gen` (bar_gen % 2): released by each arriving
    // (or exiting) thread, acquired by each as it leaves. One object for every generation would
    // hand a thread leaving barrier g the releases of threads already arriving at g + 1, and
    // hide the races between two barriers; two alternate safely, since no thread reaches g + 2
    // before every thread has left g.
    char tsan_barrier[2] = {0, 0};
    char tsan_start = 0;     // released by the worker before a block, acquired by each thread as it starts
};

struct Worker
{
    int index = 0;
    std::thread thread;
    Context sched;           // the scheduler's context while a fiber runs
    void* sched_tsan = nullptr;
    void* sched_asan_fake = nullptr;
    const void* sched_stack_bottom = nullptr;
    size_t sched_stack_size = 0;
    std::vector<Stack*> all_stacks, free_stacks;
    std::vector<Stack*> used_stacks;  // TSan: stacks freed during the current block, reusable after it
    std::vector<void*> tsan_fibers;   // TSan fiber i serves thread i of every block on this worker
    Stack* running_stack = nullptr;   // stack of the fiber currently running
    Stack* freed_stack = nullptr;     // set when a trampoline ends and gives its stack back
    Fiber* cur = nullptr;
    bool in_fiber = false;            // true while a fiber stack runs (checked by the fault handler)
    Block block;
    std::vector<unsigned char> smem;  // dynamic shared memory (16-byte aligned view below)
    std::vector<char> altstack;
};

// ---- configuration -----------------------------------------------------------------------
std::atomic<int> g_order{0};                 // 0 forward, 1 reverse, 2 random
std::atomic<unsigned long long> g_seed{0x5eed};
std::atomic<size_t> g_stack_size{64 * 1024};
std::atomic<unsigned long long> g_serial{0};
thread_local std::string g_last_error;   // per calling thread: the error of its own last launch
std::mutex g_launch_mu;

thread_local Worker* tls_worker = nullptr;

void report(Block& B, const char* fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    Launch& L = *B.L;
    std::lock_guard<std::mutex> lock(L.err_mu);
    if (L.error.empty())
    {
        char head[256];
        snprintf(head, sizeof head, "%s: block (%u,%u,%u): ", L.kernel, B.bid.x, B.bid.y, B.bid.z);
        L.error = std::string(head) + msg;
    }
    L.failed = true;
}

void report_thread(Block& B, Fiber* f, const char* fmt, ...)
{
    char msg[640];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    report(B, "thread (%u,%u,%u): %s", f->t.tid.x, f->t.tid.y, f->t.tid.z, msg);
}

Stack* new_stack()
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t size = (g_stack_size.load() + page - 1) / page * page;
    auto* s = new Stack();
    s->map_size = size + page;
    void* m = mmap(nullptr, s->map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) { delete s; return nullptr; }
    mprotect(m, page, PROT_NONE);   // guard page below the stack (stacks grow down)
    s->map = (char*)m;
    s->base = s->map + page;
    s->size = size;
    return s;
}

void free_all_stacks(Worker* w)
{
    for (Stack* s : w->all_stacks) { munmap(s->map, s->map_size); delete s; }
    w->all_stacks.clear();
    w->free_stacks.clear();
}

Stack* take_stack(Worker* w)
{
    if (!w->free_stacks.empty()) { Stack* s = w->free_stacks.back(); w->free_stacks.pop_back(); return s; }
    Stack* s = new_stack();
    if (s) w->all_stacks.push_back(s);
    return s;
}

// ---- switching with sanitizer announcements ------------------------------------------------
void switch_to_fiber_stack(Worker* w, Stack* s, void* tsan_fiber)
{
    if (tsan_fiber) __tsan_switch_to_fiber(tsan_fiber, 1 /* __tsan_switch_to_fiber_no_sync */);
    if (asan_on()) __sanitizer_start_switch_fiber(&w->sched_asan_fake, s->base, s->size);
    w->running_stack = s;
    w->in_fiber = true;
#ifndef NC_EMU_USE_UCONTEXT
    nc_emu_switch(&w->sched.sp, s->ctx.sp);
#else
    swapcontext(&w->sched.uc, &s->ctx.uc);
#endif
    w->in_fiber = false;
    if (asan_on()) __sanitizer_finish_switch_fiber(w->sched_asan_fake, nullptr, nullptr);
}

// Called on a fiber stack: back to the scheduler. dying: the stack's current user is done.
void switch_to_scheduler(Worker* w, Stack* s, bool dying)
{
    if (w->sched_tsan) __tsan_switch_to_fiber(w->sched_tsan, 1);
    if (asan_on()) __sanitizer_start_switch_fiber(dying ? nullptr : &s->asan_fake, w->sched_stack_bottom, w->sched_stack_size);
#ifndef NC_EMU_USE_UCONTEXT
    nc_emu_switch(&s->ctx.sp, w->sched.sp);
#else
    swapcontext(&s->ctx.uc, &w->sched.uc);
#endif
    if (asan_on()) __sanitizer_finish_switch_fiber(s->asan_fake, nullptr, nullptr);
}

bool warp_complete(const WarpState& W)
{
    unsigned participating = W.mask & W.existing & ~W.exited;
    return W.arrived != 0 && (W.arrived & participating) == participating;
}

// The last participating lane computes every arrived lane's result.
void warp_compute(Block& B, int warp)
{
    WarpState& W = B.warps[warp];
    unsigned participating = W.mask & W.existing & ~W.exited;
    Fiber* lanes[32] = {};
    for (int l = 0; l < 32; l++)
    {
        int idx = warp * 32 + l;
        if (idx < B.n && (W.arrived >> l & 1u)) lanes[l] = &B.fibers[idx];
    }
    unsigned ballot = 0;
    for (int l = 0; l < 32; l++)
        if (lanes[l] && lanes[l]->wvalue) ballot |= 1u << l;
    for (int l = 0; l < 32; l++)
    {
        Fiber* f = lanes[l];
        if (!f) continue;
        int width = f->wwidth;
        if (width <= 0 || width > 32 || (width & (width - 1)))
        {
            report_thread(B, f, "warp shuffle width %d is not a power of two <= 32 (%s:%d)", width, W.file, W.line);
            width = 32;
        }
        int seg = l & ~(width - 1), src = l;
        switch (W.op)
        {
        case NC_SHFL_IDX: src = seg + (f->wparam & (width - 1)); break;
        case NC_SHFL_UP: src = (l - seg) >= f->wparam ? l - f->wparam : l; break;
        case NC_SHFL_DOWN: src = (l - seg) + f->wparam < width ? l + f->wparam : l; break;
        case NC_SHFL_XOR: src = l ^ f->wparam; if ((src & ~(width - 1)) != seg) src = l; break;
        case NC_BALLOT: f->wresult = ballot & W.arrived; continue;
        case NC_ANY: f->wresult = (ballot & W.arrived) != 0; continue;
        case NC_ALL: f->wresult = (ballot & W.arrived) == W.arrived; continue;
        default: f->wresult = 0; continue;
        }
        if (src < 0 || src > 31 || !(participating >> src & 1u) || !lanes[src])
        {
            report_thread(B, f, "lane %d reads lane %d, which does not take part in the shuffle (mask 0x%08x, %s:%d)", l, src,
                          W.mask, W.file, W.line);
            f->wresult = f->wvalue;
        }
        else
            f->wresult = lanes[src]->wvalue;
    }
    W.arrived = 0;
    W.op = -1;
    W.gen++;
}

void thread_exit(Block& B, Fiber* f)
{
    if (!f->copies.empty())
        report_thread(B, f, "exits with %zu cp.async cop%s never waited for (cp.async.wait_group): their shared-memory contents are undefined",
                      f->copies.size(), f->copies.size() == 1 ? "y" : "ies");
    f->state = State::Done;
    B.live--;
    tsan_release(&B.tsan_sync);
    tsan_release(&B.tsan_barrier[B.bar_gen % 2]);   // an exited thread counts as arrived
    tsan_release(&B.warps[f->warp].tsan_gen[B.warps[f->warp].gen % 2]);
    if (B.bar_arrived > 0 && B.bar_arrived == (unsigned)B.live)
    {
        B.bar_arrived = 0;
        B.bar_gen++;
    }
    WarpState& W = B.warps[f->warp];
    W.exited |= 1u << f->lane;
    if (warp_complete(W)) warp_compute(B, f->warp);
}

Fiber* next_unstarted(Block& B)
{
    while (B.next_start < B.order.size())
    {
        Fiber* f = &B.fibers[B.order[B.next_start++]];
        if (f->state == State::NotStarted) return f;
    }
    return nullptr;
}

// Runs on a fiber stack: threads one after another until none is left to start (chaining).
extern "C" void nc_emu_trampoline(Worker* w)
{
    Stack* my = w->running_stack;
    if (asan_on())
    {
        const void* bottom = nullptr;
        size_t size = 0;
        __sanitizer_finish_switch_fiber(nullptr, &bottom, &size);
        if (!w->sched_stack_bottom) { w->sched_stack_bottom = bottom; w->sched_stack_size = size; }
    }
    Block& B = w->block;
    // Under ThreadSanitizer no chaining and no stack reuse within a block: TSan cannot be told
    // that a finished fiber's stack is fresh memory, and would report the next fiber's stack
    // writes as races with the previous owner's.
    bool chain = !tsan_on();
    for (bool first = true; chain || first; first = false)
    {
        if (B.aborted) break;
        Fiber* f = next_unstarted(B);
        if (!f) break;
        f->state = State::Running;
        f->stack = my;
        w->cur = f;
        nc_emu_self = &f->t;
        if (f->tsan)
        {
            __tsan_switch_to_fiber(f->tsan, 1);
            tsan_acquire(&B.tsan_start);   // everything the worker saw before this block happens before this thread
        }
        B.L->body(B.L->ctx);
        thread_exit(B, f);
        my = w->running_stack;   // unchanged, but re-read after possible suspensions
    }
    w->cur = nullptr;
    w->freed_stack = my;
    switch_to_scheduler(w, my, true);
    __builtin_unreachable();
}

void prepare_stack(Worker* w, Stack* s)
{
#ifndef NC_EMU_USE_UCONTEXT
    uintptr_t top = ((uintptr_t)(s->base + s->size)) & ~(uintptr_t)15;
    void** sp = (void**)(top - 64);
    unsigned mxcsr;
    unsigned short fpucw;
    asm volatile("stmxcsr %0" : "=m"(mxcsr));
    asm volatile("fnstcw %0" : "=m"(fpucw));
    uint64_t csr = (uint64_t)mxcsr | ((uint64_t)fpucw << 32);
    sp[0] = (void*)csr;                       // MXCSR + x87 control word
    sp[1] = nullptr;                          // r15
    sp[2] = nullptr;                          // r14
    sp[3] = (void*)&nc_emu_trampoline;        // r13: function to call
    sp[4] = (void*)w;                         // r12: its argument
    sp[5] = nullptr;                          // rbx
    sp[6] = nullptr;                          // rbp (ends frame-pointer walks)
    sp[7] = (void*)&nc_emu_fiber_entry;       // return address of the first switch
    s->ctx.sp = sp;
#else
    getcontext(&s->ctx.uc);
    s->ctx.uc.uc_stack.ss_sp = s->base;
    s->ctx.uc.uc_stack.ss_size = s->size;
    s->ctx.uc.uc_link = nullptr;
    uintptr_t p = (uintptr_t)w;
    makecontext(&s->ctx.uc, (void (*)())+[](unsigned hi, unsigned lo) {
        nc_emu_trampoline((Worker*)(((uintptr_t)hi << 32) | lo));
    }, 2, (unsigned)(p >> 32), (unsigned)p);
#endif
}

// Suspends the current fiber until the scheduler resumes it.
void suspend(Worker* w, Fiber* f) { switch_to_scheduler(w, f->stack, false); }

bool ready(Block& B, Fiber* f)
{
    if (f->wait == WaitKind::Barrier) return f->wait_gen != B.bar_gen;
    if (f->wait == WaitKind::Warp) return f->wait_gen != B.warps[f->warp].gen;
    return true;
}

void describe_wait(Block& B, std::string& out)
{
    int shown = 0;
    for (Fiber& f : B.fibers)
        if (f.state == State::Waiting && shown < 4)
        {
            char buf[200];
            if (f.wait == WaitKind::Barrier)
                snprintf(buf, sizeof buf, " thread (%u,%u,%u) waits at __syncthreads %s:%d;", f.t.tid.x, f.t.tid.y, f.t.tid.z,
                         B.bar_file ? B.bar_file : "?", B.bar_line);
            else
                snprintf(buf, sizeof buf, " thread (%u,%u,%u) waits at a warp intrinsic %s:%d;", f.t.tid.x, f.t.tid.y, f.t.tid.z,
                         B.warps[f.warp].file ? B.warps[f.warp].file : "?", B.warps[f.warp].line);
            out += buf;
            shown++;
        }
}

void run_block(Worker* w, Launch& L, unsigned long long linear)
{
    Block& B = w->block;
    if (L.touch_tls) L.touch_tls(nullptr);
    B.L = &L;
    B.bid = uint3{(unsigned)(linear % L.g[0]), (unsigned)(linear / L.g[0] % L.g[1]), (unsigned)(linear / ((unsigned long long)L.g[0] * L.g[1]))};
    B.n = (int)(L.b[0] * L.b[1] * L.b[2]);
    B.live = B.n;
    B.fibers.assign(B.n, Fiber{});
    B.bar_arrived = 0;
    B.bar_file = nullptr;
    B.aborted = false;
    int nwarps = (B.n + 31) / 32;
    B.warps.assign(nwarps, WarpState{});
    if (w->smem.size() < (size_t)L.smem + 16) w->smem.resize((size_t)L.smem + 16);
    unsigned char* smem = (unsigned char*)(((uintptr_t)w->smem.data() + 15) & ~(uintptr_t)15);
    // Dynamic shared memory starts as NaN (0x7fc00000 in every word) so that reading it
    // before writing shows up in float results.
    for (unsigned i = 0; i + 4 <= L.smem; i += 4) { unsigned nan = 0x7fc00000u; memcpy(smem + i, &nan, 4); }
    for (int i = 0; i < B.n; i++)
    {
        Fiber& f = B.fibers[i];
        f.t.tid = uint3{(unsigned)(i % L.b[0]), (unsigned)(i / L.b[0] % L.b[1]), (unsigned)(i / (L.b[0] * L.b[1]))};
        f.t.bid = B.bid;
        f.t.bdim = dim3(L.b[0], L.b[1], L.b[2]);
        f.t.gdim = dim3(L.g[0], L.g[1], L.g[2]);
        f.t.dyn_smem = smem;
        f.lane = i % 32;
        f.warp = i / 32;
        B.warps[f.warp].existing |= 1u << f.lane;
        if (tsan_on())
        {
            // Fibers are created once per worker and reused by later blocks (creating and
            // destroying thousands of TSan threads dominates a sanitizer run otherwise).
            if ((size_t)i >= w->tsan_fibers.size()) w->tsan_fibers.push_back(__tsan_create_fiber(0));
            f.tsan = w->tsan_fibers[i];
        }
    }
    B.order.resize(B.n);
    int mode = g_order.load();
    for (int i = 0; i < B.n; i++) B.order[i] = mode == 1 ? B.n - 1 - i : i;
    if (mode == 2)
    {
        std::mt19937_64 rng(g_seed.load() ^ (L.serial * 0x9E3779B97F4A7C15ull) ^ (linear * 0xD1B54A32D192ED03ull));
        std::shuffle(B.order.begin(), B.order.end(), rng);
    }
    B.next_start = 0;
    if (tsan_on()) w->sched_tsan = __tsan_get_current_fiber();
    tsan_release(&B.tsan_start);

    while (B.live > 0 && !B.aborted)
    {
        bool progressed = false;
        for (int k = 0; k < B.n && !B.aborted; k++)
        {
            Fiber* f = &B.fibers[B.order[k]];
            if (f->state == State::NotStarted)
            {
                Stack* s = take_stack(w);
                if (!s) { report(B, "cannot map a fiber stack"); B.aborted = true; break; }
                prepare_stack(w, s);
                w->freed_stack = nullptr;
                switch_to_fiber_stack(w, s, nullptr);
                progressed = true;
            }
            else if (f->state == State::Waiting && ready(B, f))
            {
                f->state = State::Running;
                f->wait = WaitKind::None;
                w->cur = f;
                nc_emu_self = &f->t;
                w->freed_stack = nullptr;
                switch_to_fiber_stack(w, f->stack, f->tsan);
                progressed = true;
            }
            else
                continue;
            if (w->freed_stack) { (tsan_on() ? w->used_stacks : w->free_stacks).push_back(w->freed_stack); w->freed_stack = nullptr; }
        }
        if (!progressed && B.live > 0 && !B.aborted)
        {
            std::string waits;
            describe_wait(B, waits);
            report(B, "deadlock: %d thread(s) can never be released (a barrier or warp intrinsic not reached by all threads):%s",
                   B.live, waits.c_str());
            B.aborted = true;
        }
    }
    w->free_stacks.insert(w->free_stacks.end(), w->used_stacks.begin(), w->used_stacks.end());
    w->used_stacks.clear();
    if (B.aborted)
    {
        // Abandoned fibers leave their stacks behind: every stack is free again.
        w->free_stacks = w->all_stacks;
    }
    tsan_acquire(&B.tsan_sync);
    w->cur = nullptr;
    nc_emu_self = nullptr;
}

// ---- SIGSEGV / SIGBUS inside a kernel ---------------------------------------------------
struct sigaction g_old_segv, g_old_bus;
std::once_flag g_handler_once;

void fault_handler(int sig, siginfo_t* info, void* uctx)
{
    Worker* w = tls_worker;
    if (w && w->in_fiber && w->cur && w->running_stack && !w->block.aborted)
    {
        Fiber* f = w->cur;
        Stack* s = w->running_stack;
        char* addr = (char*)info->si_addr;
        // The guard page, or just below it (a large frame without stack-clash probing).
        bool overflow = addr < s->base && addr + 64 * 1024 >= s->map;
        report_thread(w->block, f, "%s at address %p%s", sig == SIGSEGV ? "SIGSEGV" : "SIGBUS", (void*)addr,
                      overflow ? " (fiber stack overflow: raise the emu stack size, NC_EMU_STACK_KB)" : "");
        w->block.aborted = true;
        // Leave the faulting fiber for good: back to the scheduler, which abandons the block.
        Context dead;
#ifndef NC_EMU_USE_UCONTEXT
        nc_emu_switch(&dead.sp, w->sched.sp);
#else
        swapcontext(&dead.uc, &w->sched.uc);
#endif
    }
    struct sigaction* old = sig == SIGSEGV ? &g_old_segv : &g_old_bus;
    if (old->sa_flags & SA_SIGINFO) { if (old->sa_sigaction) old->sa_sigaction(sig, info, uctx); return; }
    if (old->sa_handler == SIG_DFL || old->sa_handler == SIG_IGN)
    {
        sigaction(sig, old, nullptr);   // re-raised by the faulting instruction with the default action
        return;
    }
    old->sa_handler(sig);
}

bool want_fault_handler()
{
    if (tsan_on() || asan_on()) return false;
    const char* e = getenv("NC_EMU_NO_FAULT_HANDLER");
    return !(e && *e && strcmp(e, "0") != 0);
}

void install_fault_handler()
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fault_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &g_old_segv);
    sigaction(SIGBUS, &sa, &g_old_bus);
}

// ---- worker pool --------------------------------------------------------------------------
struct Pool
{
    std::vector<Worker*> workers;
    std::mutex mu;
    std::condition_variable cv_work, cv_done;
    Launch* launch = nullptr;
    unsigned long long generation = 0;
    int busy = 0;
    bool handler = false;

    void start()
    {
        int n = (int)std::thread::hardware_concurrency();
        if (const char* e = getenv("NC_EMU_WORKERS")) n = atoi(e);
        if (n < 1) n = 1;
        handler = want_fault_handler();
        if (handler) install_fault_handler();
        for (int i = 0; i < n; i++)
        {
            auto* w = new Worker();
            w->index = i;
            workers.push_back(w);
            w->thread = std::thread([this, w] { loop(w); });
            w->thread.detach();
        }
    }

    void loop(Worker* w)
    {
        tls_worker = w;
        if (handler)
        {
            w->altstack.resize(64 * 1024);
            stack_t ss{};
            ss.ss_sp = w->altstack.data();
            ss.ss_size = w->altstack.size();
            sigaltstack(&ss, nullptr);
        }
        unsigned long long seen = 0;
        for (;;)
        {
            Launch* L;
            {
                std::unique_lock<std::mutex> lock(mu);
                cv_work.wait(lock, [&] { return generation != seen; });
                seen = generation;
                L = launch;
            }
            for (;;)
            {
                unsigned long long b = L->next.fetch_add(1);
                if (b >= L->nblocks || L->failed.load()) break;
                run_block(w, *L, b);
            }
            {
                std::lock_guard<std::mutex> lock(mu);
                if (--busy == 0) cv_done.notify_all();
            }
        }
    }

    void run(Launch& L)
    {
        std::unique_lock<std::mutex> lock(mu);
        launch = &L;
        busy = (int)workers.size();
        generation++;
        cv_work.notify_all();
        cv_done.wait(lock, [&] { return busy == 0; });
        launch = nullptr;
    }
};

Pool* pool()
{
    static Pool* p = [] {
        if (const char* e = getenv("NC_EMU_ORDER"))
        {
            if (!strcmp(e, "reverse")) g_order = 1;
            else if (!strcmp(e, "random")) g_order = 2;
        }
        if (const char* e = getenv("NC_EMU_SEED")) g_seed = strtoull(e, nullptr, 0);
        if (const char* e = getenv("NC_EMU_STACK_KB")) g_stack_size = (size_t)atoi(e) * 1024;
        auto* q = new Pool();
        q->start();
        return q;
    }();
    return p;
}

Worker* current_worker_or_die(const char* what)
{
    Worker* w = tls_worker;
    if (!w || !w->cur)
    {
        fprintf(stderr, "nc_emu: %s called outside a kernel\n", what);
        abort();
    }
    return w;
}

} // namespace

// ---- kernel-side entry points -------------------------------------------------------------
NC_EMU_API void nc_emu_syncthreads(const char* file, int line)
{
    Worker* w = current_worker_or_die("__syncthreads");
    Block& B = w->block;
    Fiber* f = w->cur;
    if (B.bar_arrived == 0) { B.bar_file = file; B.bar_line = line; }
    else if (B.bar_line != line || strcmp(B.bar_file, file) != 0)
        report_thread(B, f, "__syncthreads at %s:%d meets __syncthreads at %s:%d (divergent barrier)", file, line, B.bar_file,
                      B.bar_line);
    char* sync = &B.tsan_barrier[B.bar_gen % 2];
    tsan_release(sync);
    B.bar_arrived++;
    if (B.bar_arrived == (unsigned)B.live)
    {
        B.bar_arrived = 0;
        B.bar_gen++;
    }
    else
    {
        f->state = State::Waiting;
        f->wait = WaitKind::Barrier;
        f->wait_gen = B.bar_gen;
        suspend(w, f);
    }
    tsan_acquire(sync);
}

NC_EMU_API unsigned long long nc_emu_warp(int op, unsigned mask, unsigned long long value, int param, int width,
                                          const char* file, int line)
{
    Worker* w = current_worker_or_die("a warp intrinsic");
    Block& B = w->block;
    Fiber* f = w->cur;
    WarpState& W = B.warps[f->warp];
    unsigned me = 1u << f->lane;
    if (!(mask & me)) report_thread(B, f, "warp intrinsic at %s:%d with mask 0x%08x that excludes the calling lane %d", file, line, mask, f->lane);
    if (W.arrived == 0)
    {
        W.op = op;
        W.mask = mask | me;
        W.file = file;
        W.line = line;
    }
    else if (W.op != op || W.mask != (mask | me))
        report_thread(B, f, "warp intrinsic at %s:%d (mask 0x%08x) meets a different one at %s:%d (mask 0x%08x)", file, line, mask,
                      W.file, W.line, W.mask);
    f->wvalue = value;
    f->wparam = param;
    f->wwidth = width;
    f->wmask = mask;
    W.arrived |= me;
    char* sync = &W.tsan_gen[W.gen % 2];
    tsan_release(sync);
    if (warp_complete(W))
        warp_compute(B, f->warp);
    else
    {
        f->state = State::Waiting;
        f->wait = WaitKind::Warp;
        f->wait_gen = W.gen;
        suspend(w, f);
    }
    tsan_acquire(sync);
    return f->wresult;
}

NC_EMU_API void nc_emu_cp_async(void* dst, const void* src, unsigned bytes, unsigned src_bytes)
{
    Worker* w = current_worker_or_die("cp.async");
    Fiber* f = w->cur;
    if (bytes != 4 && bytes != 8 && bytes != 16)
        report_thread(w->block, f, "cp.async of %u bytes (4, 8 or 16)", bytes);
    else if (src_bytes > bytes)
        report_thread(w->block, f, "cp.async src-size %u exceeds its cp-size %u", src_bytes, bytes);
    else if ((uintptr_t)dst % bytes != 0 || (src_bytes > 0 && (uintptr_t)src % bytes != 0))
        report_thread(w->block, f, "cp.async of %u bytes from %p to %p: both addresses must be %u-byte aligned", bytes, src, dst, bytes);
    else
    {
        tsan_write(dst, bytes);
        memset(dst, 0xFF, bytes);   // undefined until the wait: NaN for whoever reads it meanwhile
        f->copies.push_back(AsyncCopy{dst, src, bytes, src_bytes, f->groups});
    }
}

NC_EMU_API void nc_emu_cp_async_commit(void)
{
    current_worker_or_die("cp.async.commit_group")->cur->groups++;
}

NC_EMU_API void nc_emu_cp_async_wait(unsigned pending)
{
    Fiber* f = current_worker_or_die("cp.async.wait_group")->cur;
    // Committed groups are 0 … groups−1; all but the newest `pending` of them must be complete.
    if (f->groups <= pending) return;
    unsigned done = f->groups - pending;
    size_t kept = 0;
    for (AsyncCopy& c : f->copies)
    {
        if (c.group < done)
        {
            tsan_read(c.src, c.src_bytes);
            tsan_write(c.dst, c.bytes);
            memcpy(c.dst, c.src, c.src_bytes);
            memset((char*)c.dst + c.src_bytes, 0, c.bytes - c.src_bytes);
        }
        else
            f->copies[kept++] = c;
    }
    f->copies.resize(kept);
}

NC_EMU_API void nc_emu_fail(const char* file, int line, const char* what)
{
    Worker* w = current_worker_or_die("a device-side check");
    report_thread(w->block, w->cur, "%s (%s:%d)", what, file, line);
}

NC_EMU_API unsigned nc_emu_activemask(void)
{
    Worker* w = current_worker_or_die("__activemask");
    WarpState& W = w->block.warps[w->cur->warp];
    return W.existing & ~W.exited;
}

NC_EMU_API int nc_emu_run(const char* kernel, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                          unsigned smem, nc_emu_body body, void* ctx, nc_emu_body touch_tls)
{
    std::lock_guard<std::mutex> lock(g_launch_mu);
    Pool* p = pool();
    char buf[256];
    unsigned long long threads = (unsigned long long)bx * by * bz;
    if (gx == 0 || gy == 0 || gz == 0 || bx == 0 || by == 0 || bz == 0 || threads > 1024 || bz > 64 || gy > 65535 || gz > 65535)
    {
        snprintf(buf, sizeof buf, "%s: invalid launch configuration grid (%u,%u,%u) block (%u,%u,%u)", kernel, gx, gy, gz, bx, by, bz);
        g_last_error = buf;
        return 1;
    }
    if (smem > 227u * 1024u)
    {
        snprintf(buf, sizeof buf, "%s: %u bytes of dynamic shared memory exceed the 227 KB a block can have", kernel, smem);
        g_last_error = buf;
        return 1;
    }
    Launch L;
    L.kernel = kernel;
    L.g[0] = gx; L.g[1] = gy; L.g[2] = gz;
    L.b[0] = bx; L.b[1] = by; L.b[2] = bz;
    L.smem = smem;
    L.body = body;
    L.ctx = ctx;
    L.touch_tls = touch_tls;
    L.nblocks = (unsigned long long)gx * gy * gz;
    L.serial = g_serial.fetch_add(1);
    p->run(L);
    if (L.failed)
    {
        g_last_error = L.error;
        return 2;
    }
    return 0;
}

// ---- host-side control ---------------------------------------------------------------------
NC_EMU_API const char* nc_emu_last_error(void) { return g_last_error.c_str(); }

// 0 forward, 1 reverse, 2 random (seeded: the same seed gives the same orders).
NC_EMU_API void nc_emu_set_order(int mode, unsigned long long seed)
{
    std::lock_guard<std::mutex> lock(g_launch_mu);
    g_order = mode;
    g_seed = seed;
}

NC_EMU_API int nc_emu_get_order(void) { return g_order.load(); }

// Stack size of each fiber in bytes; existing stacks are dropped so the next launch uses it.
NC_EMU_API void nc_emu_set_stack_size(unsigned long long bytes)
{
    std::lock_guard<std::mutex> lock(g_launch_mu);
    Pool* p = pool();
    g_stack_size = (size_t)bytes;
    for (Worker* w : p->workers) free_all_stacks(w);   // workers are idle between launches
}

NC_EMU_API int nc_emu_worker_count(void) { return (int)pool()->workers.size(); }
