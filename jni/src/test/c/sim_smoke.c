/*
 * sim_smoke.c — standalone smoke test of the sim chip runtime (sim_runtime.c).
 *
 *   gcc -std=c11 -O2 -Wall -Wextra -Werror -fPIC -shared -fvisibility=hidden -pthread \
 *       -o /tmp/libsimpler_sim.so jni/src/main/c/sim_runtime.c
 *   gcc -std=c11 -O2 -Wall -Wextra -Werror -pthread -o /tmp/sim_smoke jni/src/test/c/sim_smoke.c -ldl
 *   /tmp/sim_smoke /tmp/libsimpler_sim.so [quick]
 *
 * dlopens the library, resolves every symbol, runs each kernel against a
 * reference on several shapes and block_dims (also block_dim > element count),
 * every error path, the device lifecycle, the pool lifecycle (lazy start, no
 * pool for tiny kernels, threads gone after destroy), thread-local errors, and
 * several contexts running concurrently.  "quick" shrinks the loops (valgrind).
 * Exit status 0 = all passed.
 */
#define _GNU_SOURCE 1

#include <dirent.h>
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void *(*create_fn)(void);
typedef void (*destroy_fn)(void *);
typedef size_t (*rtsize_fn)(void);
typedef int (*setdev_fn)(void *, int);
typedef int (*run_fn)(void *, void *, const void *, const void *, int, int, int, const uint8_t *, size_t,
                      const uint8_t *, size_t, int, int);
typedef int (*fin_fn)(void *);
typedef int (*kcount_fn)(void);
typedef const char *(*kname_fn)(int);
typedef const char *(*lasterr_fn)(void);

static create_fn create_device_context;
static destroy_fn destroy_device_context;
static rtsize_fn get_runtime_size;
static setdev_fn set_device;
static run_fn run_runtime;
static fin_fn finalize_device;
static kcount_fn simpler_kernel_count;
static kname_fn simpler_kernel_name;
static lasterr_fn simpler_last_error;

static int failures;
static int checks;
static int quick;

#define CHECK(cond, ...)                                                                                              \
    do                                                                                                                \
    {                                                                                                                 \
        checks++;                                                                                                     \
        if (!(cond))                                                                                                  \
        {                                                                                                             \
            failures++;                                                                                               \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                                      \
            fprintf(stderr, __VA_ARGS__);                                                                             \
            fprintf(stderr, "\n");                                                                                    \
        }                                                                                                             \
    } while (0)

/* ------------------------------------------------------------------ args */

#define ARGS_BYTES 1672

typedef struct
{
    uint8_t b[ARGS_BYTES];
} chip_args;

static void wr_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
    {
        p[i] = (uint8_t) (v >> (8 * i));
    }
}

static void wr_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
    {
        p[i] = (uint8_t) (v >> (8 * i));
    }
}

static void args_clear(chip_args *a)
{
    memset(a, 0, sizeof *a);
}

static void args_tensor(chip_args *a, int i, const void *addr, int ndims, const uint32_t *shape, uint8_t dtype)
{
    uint8_t *r = a->b + 40 * i;
    wr_u64(r, (uint64_t) (uintptr_t) addr);
    for (int d = 0; d < 5; d++)
    {
        wr_u32(r + 8 + 4 * d, d < ndims ? shape[d] : 0);
    }
    wr_u32(r + 28, (uint32_t) ndims);
    r[32] = dtype;
}

static void args_tensor1(chip_args *a, int i, const void *addr, uint32_t n)
{
    args_tensor(a, i, addr, 1, &n, 0);
}

static void args_tensor2(chip_args *a, int i, const void *addr, uint32_t r, uint32_t c)
{
    uint32_t s[2] = {r, c};
    args_tensor(a, i, addr, 2, s, 0);
}

static void args_scalar(chip_args *a, int i, uint64_t v)
{
    wr_u64(a->b + 640 + 8 * i, v);
}

static void args_counts(chip_args *a, int32_t t, int32_t s)
{
    wr_u32(a->b + 1664, (uint32_t) t);
    wr_u32(a->b + 1668, (uint32_t) s);
}

static uint64_t fbits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* ------------------------------------------------------------------ helpers */

static void *g_runtime;
static int g_dev; /* device the kernel helpers run on */
static size_t g_rtsize;
#define RT_GUARD 64

static int run(void *ctx, const char *kernel, const chip_args *a, int block_dim, int dev)
{
    return run_runtime(ctx, g_runtime, kernel, a, block_dim, 3, dev, NULL, 0, NULL, 0, 0, 0);
}

static uint32_t rng_state = 12345u;
static float frand(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return (float) ((rng_state >> 8) % 2001) / 100.0f - 10.0f;
}

/* number of this process's threads named "simpler-sim-*" (the runtime's pool workers) */
static int count_threads(void)
{
    DIR *d = opendir("/proc/self/task");
    if (d == NULL)
    {
        return -1;
    }
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
    {
        if (e->d_name[0] == '.')
        {
            continue;
        }
        char path[300], comm[64] = {0};
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (f != NULL)
        {
            if (fgets(comm, sizeof comm, f) != NULL && strncmp(comm, "simpler-sim-", 12) == 0)
            {
                n++;
            }
            fclose(f);
        }
    }
    closedir(d);
    return n;
}

/* ------------------------------------------------------------------ kernels */

static int test_elementwise(void *ctx, const char *kernel, uint32_t n, int block_dim, int in_place)
{
    float *a = malloc(sizeof(float) * (n ? n : 1));
    float *b = malloc(sizeof(float) * (n ? n : 1));
    float *out = malloc(sizeof(float) * (n ? n : 1));
    float *ref = malloc(sizeof(float) * (n ? n : 1));
    float s = 1.5f;
    for (uint32_t i = 0; i < n; i++)
    {
        a[i] = frand();
        b[i] = frand();
        out[i] = -12345.0f;
    }
    int scale = strcmp(kernel, "scale_f32") == 0;
    int mul = strcmp(kernel, "mul_f32") == 0;
    for (uint32_t i = 0; i < n; i++)
    {
        ref[i] = scale ? a[i] * s : mul ? a[i] * b[i] : a[i] + b[i];
    }
    float *dst = in_place ? a : out;
    chip_args args;
    args_clear(&args);
    if (scale)
    {
        /* a 2-D shape for variety when it divides */
        if (n % 4 == 0 && n > 0)
        {
            args_tensor2(&args, 0, a, 4, n / 4);
            args_tensor2(&args, 1, dst, n / 4, 4);
        }
        else
        {
            args_tensor1(&args, 0, a, n);
            args_tensor1(&args, 1, dst, n);
        }
        args_scalar(&args, 0, fbits(s));
        args_counts(&args, 2, 1);
    }
    else
    {
        args_tensor1(&args, 0, a, n);
        args_tensor1(&args, 1, b, n);
        args_tensor1(&args, 2, dst, n);
        args_counts(&args, 3, 0);
    }
    int rc = run(ctx, kernel, &args, block_dim, g_dev);
    int ok = rc == 0;
    CHECK(rc == 0, "%s n=%u block_dim=%d rc=%d err=%s", kernel, n, block_dim, rc, simpler_last_error());
    for (uint32_t i = 0; ok && i < n; i++)
    {
        if (dst[i] != ref[i])
        {
            CHECK(0, "%s n=%u block_dim=%d in_place=%d: [%u] = %g, want %g", kernel, n, block_dim, in_place, i,
                  dst[i], ref[i]);
            ok = 0;
        }
    }
    free(a);
    free(b);
    free(out);
    free(ref);
    return ok;
}

static int test_matmul(void *ctx, uint32_t m, uint32_t k, uint32_t n, int block_dim)
{
    size_t sa = (size_t) m * k, sb = (size_t) k * n, sc = (size_t) m * n;
    float *A = malloc(sizeof(float) * (sa ? sa : 1));
    float *B = malloc(sizeof(float) * (sb ? sb : 1));
    float *C = malloc(sizeof(float) * (sc ? sc : 1));
    double *R = malloc(sizeof(double) * (sc ? sc : 1));
    for (size_t i = 0; i < sa; i++)
    {
        A[i] = frand();
    }
    for (size_t i = 0; i < sb; i++)
    {
        B[i] = frand();
    }
    for (size_t i = 0; i < sc; i++)
    {
        C[i] = 777.0f; /* must be overwritten, also when K == 0 */
    }
    double maxabs = 0;
    for (uint32_t i = 0; i < m; i++)
    {
        for (uint32_t j = 0; j < n; j++)
        {
            double acc = 0, mag = 0;
            for (uint32_t p = 0; p < k; p++)
            {
                acc += (double) A[(size_t) i * k + p] * B[(size_t) p * n + j];
                mag += fabs((double) A[(size_t) i * k + p] * B[(size_t) p * n + j]);
            }
            R[(size_t) i * n + j] = acc;
            if (mag > maxabs)
            {
                maxabs = mag;
            }
        }
    }
    chip_args args;
    args_clear(&args);
    args_tensor2(&args, 0, A, m, k);
    args_tensor2(&args, 1, B, k, n);
    args_tensor2(&args, 2, C, m, n);
    args_counts(&args, 3, 0);
    int rc = run(ctx, "matmul_f32", &args, block_dim, g_dev);
    int ok = rc == 0;
    CHECK(rc == 0, "matmul %ux%ux%u block_dim=%d rc=%d err=%s", m, k, n, block_dim, rc, simpler_last_error());
    double tol = 1e-5 * (maxabs + 1.0) * (k + 1);
    for (size_t i = 0; ok && i < sc; i++)
    {
        if (fabs((double) C[i] - R[i]) > tol)
        {
            CHECK(0, "matmul %ux%ux%u block_dim=%d: C[%zu] = %g, want %g", m, k, n, block_dim, i, C[i], R[i]);
            ok = 0;
        }
    }
    free(A);
    free(B);
    free(C);
    free(R);
    return ok;
}

/* ------------------------------------------------------------------ errors */

static void expect_err(const char *what, int rc, int code, const char *needle1, const char *needle2)
{
    const char *e = simpler_last_error();
    CHECK(rc == code, "%s: rc=%d, want %d (err=%s)", what, rc, code, e);
    CHECK(e != NULL && (needle1 == NULL || strstr(e, needle1) != NULL), "%s: error '%s' lacks '%s'", what, e,
          needle1);
    CHECK(needle2 == NULL || strstr(e, needle2) != NULL, "%s: error '%s' lacks '%s'", what, e, needle2);
    if (!quick)
    {
        printf("  %-34s %4d  %s\n", what, rc, e);
    }
}

/* a bogus, never-mapped but aligned address: validation failures must not touch it */
#define BOGUS ((const void *) (uintptr_t) 0x10)

static void test_errors(void *ctx)
{
    chip_args a;
    float buf[64];

    /* null pointers */
    args_clear(&a);
    args_counts(&a, 3, 0);
    expect_err("NULL ctx", run_runtime(NULL, g_runtime, "add_f32", &a, 1, 3, 0, NULL, 0, NULL, 0, 0, 0), -1,
               "context", NULL);
    expect_err("NULL runtime", run_runtime(ctx, NULL, "add_f32", &a, 1, 3, 0, NULL, 0, NULL, 0, 0, 0), -2, "runtime",
               NULL);
    expect_err("NULL callable", run_runtime(ctx, g_runtime, NULL, &a, 1, 3, 0, NULL, 0, NULL, 0, 0, 0), -3,
               "callable", NULL);
    expect_err("NULL args", run_runtime(ctx, g_runtime, "add_f32", NULL, 1, 3, 0, NULL, 0, NULL, 0, 0, 0), -4,
               "add_f32", "args");

    /* devices */
    expect_err("set_device(NULL)", set_device(NULL, 0), -1, "context", NULL);
    expect_err("set_device(16)", set_device(ctx, 16), -5, "16", NULL);
    expect_err("set_device(-1)", set_device(ctx, -1), -5, "-1", NULL);
    expect_err("finalize_device(NULL)", finalize_device(NULL), -1, "context", NULL);
    CHECK(finalize_device(ctx) == 0, "finalize");
    args_clear(&a);
    args_tensor1(&a, 0, buf, 4);
    args_tensor1(&a, 1, buf + 8, 4);
    args_tensor1(&a, 2, buf + 16, 4);
    args_counts(&a, 3, 0);
    expect_err("run after finalize", run(ctx, "add_f32", &a, 1, 0), -6, "add_f32", "set_device");
    CHECK(set_device(ctx, 3) == 0, "set_device(3)");
    expect_err("run device 4 (3 selected)", run(ctx, "add_f32", &a, 1, 4), -7, "add_f32", "3");
    expect_err("run device 16", run(ctx, "add_f32", &a, 1, 16), -5, "add_f32", "16");
    expect_err("run device -2", run(ctx, "add_f32", &a, 1, -2), -5, "add_f32", "-2");
    CHECK(run(ctx, "add_f32", &a, 1, 3) == 0, "run on device 3: %s", simpler_last_error());
    CHECK(set_device(ctx, 0) == 0, "set_device(0)");
    CHECK(finalize_device(ctx) == 0 && finalize_device(ctx) == 0, "finalize twice");
    CHECK(set_device(ctx, 0) == 0, "set_device(0)");

    /* kernel name */
    expect_err("unknown kernel", run(ctx, "add_f64", &a, 1, 0), -8, "add_f64", "unknown");
    expect_err("prefix of a kernel", run(ctx, "add", &a, 1, 0), -8, "\"add\"", NULL);
    expect_err("kernel + suffix", run(ctx, "add_f32x", &a, 1, 0), -8, "add_f32x", NULL);
    expect_err("empty kernel name", run(ctx, "", &a, 1, 0), -8, "\"\"", NULL);
    char longname[300];
    memset(longname, 'z', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    expect_err("very long kernel name", run(ctx, longname, &a, 1, 0), -8, "zzz...", NULL);
    expect_err("unprintable kernel name", run(ctx, "bad\n\x01", &a, 1, 0), -8, "\\x0a\\x01", NULL);

    /* count ranges */
    args_counts(&a, 17, 0);
    expect_err("tensor count 17", run(ctx, "add_f32", &a, 1, 0), -9, "add_f32", "17");
    args_counts(&a, -1, 0);
    expect_err("tensor count -1", run(ctx, "add_f32", &a, 1, 0), -9, "add_f32", "-1");
    args_counts(&a, 3, 129);
    expect_err("scalar count 129", run(ctx, "add_f32", &a, 1, 0), -10, "add_f32", "129");
    args_counts(&a, 3, -5);
    expect_err("scalar count -5", run(ctx, "add_f32", &a, 1, 0), -10, "add_f32", "-5");

    /* block_dim */
    args_counts(&a, 3, 0);
    expect_err("block_dim 0", run(ctx, "add_f32", &a, 0, 0), -18, "add_f32", "block_dim 0");
    expect_err("block_dim 1025", run(ctx, "add_f32", &a, 1025, 0), -18, "add_f32", "1025");
    expect_err("block_dim -3", run(ctx, "mul_f32", &a, -3, 0), -18, "mul_f32", "-3");
    CHECK(run(ctx, "add_f32", &a, 1024, 0) == 0, "block_dim 1024 ok: %s", simpler_last_error());

    /* fail */
    args_clear(&a);
    expect_err("fail kernel", run(ctx, "fail", &a, 1, 0), -19, "fail: this kernel always fails", NULL);
    args_tensor1(&a, 0, BOGUS, 4);
    args_counts(&a, 1, 2);
    expect_err("fail kernel with args", run(ctx, "fail", &a, 24, 0), -19, "fail: this kernel always fails", NULL);

    /* per-kernel counts (bogus addresses: must not be touched) */
    args_clear(&a);
    args_tensor1(&a, 0, BOGUS, 4);
    args_tensor1(&a, 1, BOGUS, 4);
    args_tensor1(&a, 2, BOGUS, 4);
    args_counts(&a, 2, 0);
    expect_err("add_f32 with 2 tensors", run(ctx, "add_f32", &a, 1, 0), -11, "add_f32: needs 3 tensors", "got 2");
    args_counts(&a, 3, 0);
    expect_err("scale_f32 with 3 tensors", run(ctx, "scale_f32", &a, 1, 0), -11, "scale_f32: needs 2 tensors",
               "got 3");
    args_counts(&a, 3, 1);
    expect_err("mul_f32 with a scalar", run(ctx, "mul_f32", &a, 1, 0), -12, "mul_f32: takes no scalars", "got 1");
    args_counts(&a, 2, 0);
    expect_err("scale_f32 without scalar", run(ctx, "scale_f32", &a, 1, 0), -12, "scale_f32: needs 1 scalar",
               "got 0");
    args_counts(&a, 3, 0);
    expect_err("matmul_f32 with 0 tensors", (args_counts(&a, 0, 0), run(ctx, "matmul_f32", &a, 1, 0)), -11,
               "matmul_f32: needs 3 tensors", "got 0");

    /* per-tensor */
    args_clear(&a);
    args_tensor1(&a, 0, BOGUS, 4);
    args_tensor1(&a, 1, NULL, 4);
    args_tensor1(&a, 2, BOGUS, 4);
    args_counts(&a, 3, 0);
    expect_err("null tensor", run(ctx, "add_f32", &a, 1, 0), -13, "add_f32: tensor 1 (b)", "null");
    uint32_t sh6[5] = {1, 1, 1, 1, 1};
    args_tensor1(&a, 1, BOGUS, 4);
    args_tensor(&a, 2, BOGUS, 6, sh6, 0);
    expect_err("ndims 6", run(ctx, "add_f32", &a, 1, 0), -14, "add_f32: tensor 2 (out)", "ndims 6");
    args_tensor(&a, 2, BOGUS, 0, sh6, 0);
    expect_err("ndims 0", run(ctx, "add_f32", &a, 1, 0), -14, "tensor 2 (out)", "ndims 0");
    args_tensor1(&a, 2, BOGUS, 4);
    uint32_t four = 4;
    args_tensor(&a, 0, BOGUS, 1, &four, 2);
    expect_err("dtype INT32", run(ctx, "add_f32", &a, 1, 0), -15, "add_f32: tensor 0 (a)", "INT32");
    args_tensor(&a, 0, BOGUS, 1, &four, 200);
    expect_err("dtype 200", run(ctx, "add_f32", &a, 1, 0), -15, "tensor 0 (a)", "200");
    args_tensor1(&a, 0, (const void *) (uintptr_t) 0x1002, 4);
    expect_err("misaligned", run(ctx, "add_f32", &a, 1, 0), -20, "tensor 0 (a)", "aligned");
    uint32_t huge[5] = {0xffffffffu, 0xffffffffu, 0xffffffffu, 2, 2};
    args_tensor(&a, 0, BOGUS, 5, huge, 0);
    expect_err("element count overflow", run(ctx, "add_f32", &a, 1, 0), -21, "tensor 0 (a)", "too large");
    uint32_t big[2] = {0xffffffffu, 0xffffffffu};
    args_tensor(&a, 0, (const void *) (uintptr_t) 0x7fff00000000ull, 2, big, 0);
    expect_err("bytes past address space", run(ctx, "add_f32", &a, 1, 0), -21, "tensor 0 (a)", "too large");

    /* elementwise counts */
    args_clear(&a);
    args_tensor1(&a, 0, BOGUS, 128);
    args_tensor1(&a, 1, BOGUS, 100);
    args_tensor1(&a, 2, BOGUS, 128);
    args_counts(&a, 3, 0);
    expect_err("b count mismatch", run(ctx, "add_f32", &a, 1, 0), -16,
               "add_f32: tensor 1 (b) has 100 elements, tensor 0 (a) has 128", NULL);
    args_tensor1(&a, 1, BOGUS, 128);
    args_tensor2(&a, 2, BOGUS, 8, 15);
    expect_err("out count mismatch", run(ctx, "mul_f32", &a, 1, 0), -16,
               "mul_f32: tensor 2 (out) has 120 elements, tensor 0 (a) has 128", NULL);
    args_clear(&a);
    args_tensor1(&a, 0, BOGUS, 10);
    args_tensor1(&a, 1, BOGUS, 1);
    args_scalar(&a, 0, fbits(2.0f));
    args_counts(&a, 2, 1);
    expect_err("scale out mismatch", run(ctx, "scale_f32", &a, 1, 0), -16,
               "scale_f32: tensor 1 (out) has 1 element, tensor 0 (x) has 10", NULL);

    /* matmul shapes */
    args_clear(&a);
    args_tensor2(&a, 0, BOGUS, 4, 6);
    args_tensor2(&a, 1, BOGUS, 5, 7);
    args_tensor2(&a, 2, BOGUS, 4, 7);
    args_counts(&a, 3, 0);
    expect_err("matmul B rows", run(ctx, "matmul_f32", &a, 1, 0), -17, "matmul_f32: tensor 1 (B) is 5x7", "4x6");
    args_tensor2(&a, 1, BOGUS, 6, 7);
    args_tensor2(&a, 2, BOGUS, 4, 8);
    expect_err("matmul C cols", run(ctx, "matmul_f32", &a, 1, 0), -17, "matmul_f32: tensor 2 (C) is 4x8",
               "must be 4x7");
    args_tensor2(&a, 2, BOGUS, 7, 4);
    expect_err("matmul C transposed", run(ctx, "matmul_f32", &a, 1, 0), -17, "tensor 2 (C) is 7x4", "4x7");
    args_tensor1(&a, 2, BOGUS, 28);
    expect_err("matmul 1-D C", run(ctx, "matmul_f32", &a, 1, 0), -14, "matmul_f32: tensor 2 (C)", "2-D");

    /* overlap (real memory, but nothing may be written) */
    for (int i = 0; i < 64; i++)
    {
        buf[i] = (float) i;
    }
    args_clear(&a);
    args_tensor1(&a, 0, buf, 16);
    args_tensor1(&a, 1, buf + 16, 16);
    args_tensor1(&a, 2, buf + 8, 16);
    args_counts(&a, 3, 0);
    expect_err("out partially overlaps a", run(ctx, "add_f32", &a, 2, 0), -22, "add_f32: tensor 2 (out)",
               "tensor 0 (a)");
    args_clear(&a);
    args_tensor2(&a, 0, buf, 2, 2);
    args_tensor2(&a, 1, buf + 4, 2, 2);
    args_tensor2(&a, 2, buf + 4, 2, 2);
    args_counts(&a, 3, 0);
    expect_err("matmul C == B", run(ctx, "matmul_f32", &a, 1, 0), -22, "matmul_f32: tensor 2 (C)", "tensor 1 (B)");
    int untouched = 1;
    for (int i = 0; i < 64; i++)
    {
        untouched &= buf[i] == (float) i;
    }
    CHECK(untouched, "a rejected run wrote data");
}

/* ------------------------------------------------------------------ threads */

typedef struct
{
    int id;
    int iters;
    int ok;
    char first_err[64];
} thread_job;

static void *concurrent_main(void *p)
{
    thread_job *j = p;
    void *ctx = create_device_context();
    j->ok = ctx != NULL && set_device(ctx, j->id % 16) == 0;
    uint32_t n = 100003;
    float *a = malloc(sizeof(float) * n), *b = malloc(sizeof(float) * n), *o = malloc(sizeof(float) * n);
    uint32_t m = 70;
    float *A = malloc(sizeof(float) * m * m), *B = malloc(sizeof(float) * m * m), *C = malloc(sizeof(float) * m * m);
    for (uint32_t i = 0; i < n; i++)
    {
        a[i] = (float) (i % 1000) + (float) j->id;
        b[i] = (float) (i % 7);
    }
    for (uint32_t i = 0; i < m * m; i++)
    {
        A[i] = (float) ((i + (uint32_t) j->id) % 5);
        B[i] = (float) (i % 3);
    }
    void *rt = calloc(1, get_runtime_size());
    for (int it = 0; it < j->iters && j->ok; it++)
    {
        chip_args args;
        args_clear(&args);
        args_tensor1(&args, 0, a, n);
        args_tensor1(&args, 1, b, n);
        args_tensor1(&args, 2, o, n);
        args_counts(&args, 3, 0);
        int bd = 1 + (it * 7 + j->id) % 48;
        int rc = run_runtime(ctx, rt, (it & 1) ? "mul_f32" : "add_f32", &args, bd, 3, j->id % 16, NULL, 0, NULL, 0,
                             0, 0);
        if (rc != 0)
        {
            j->ok = 0;
            break;
        }
        for (uint32_t i = 0; i < n; i++)
        {
            float want = (it & 1) ? a[i] * b[i] : a[i] + b[i];
            if (o[i] != want)
            {
                j->ok = 0;
                break;
            }
        }
        args_clear(&args);
        args_tensor2(&args, 0, A, m, m);
        args_tensor2(&args, 1, B, m, m);
        args_tensor2(&args, 2, C, m, m);
        args_counts(&args, 3, 0);
        rc = run_runtime(ctx, rt, "matmul_f32", &args, bd, 3, j->id % 16, NULL, 0, NULL, 0, 0, 0);
        if (rc != 0)
        {
            j->ok = 0;
            break;
        }
        for (uint32_t r = 0; r < m && j->ok; r += 13)
        {
            for (uint32_t c = 0; c < m; c++)
            {
                float acc = 0;
                for (uint32_t p = 0; p < m; p++)
                {
                    acc += A[r * m + p] * B[p * m + c];
                }
                if (C[r * m + c] != acc) /* small integers: exact */
                {
                    j->ok = 0;
                    break;
                }
            }
        }
    }
    /* thread-local error: make one here, the main thread's must not change */
    chip_args args;
    args_clear(&args);
    run_runtime(ctx, rt, "fail", &args, 1, 3, j->id % 16, NULL, 0, NULL, 0, 0, 0);
    snprintf(j->first_err, sizeof j->first_err, "%s", simpler_last_error());
    destroy_device_context(ctx);
    free(rt);
    free(a);
    free(b);
    free(o);
    free(A);
    free(B);
    free(C);
    return NULL;
}

static void *fresh_thread_error(void *p)
{
    *(const char **) p = simpler_last_error();
    return NULL;
}

/* ------------------------------------------------------------------ main */

#define RESOLVE(lib, name)                                                                                            \
    do                                                                                                                \
    {                                                                                                                 \
        *(void **) &name = dlsym(lib, #name);                                                                         \
        if (name == NULL)                                                                                             \
        {                                                                                                             \
            fprintf(stderr, "missing symbol %s\n", #name);                                                            \
            return 2;                                                                                                 \
        }                                                                                                             \
    } while (0)

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "/tmp/libsimpler_sim.so";
    quick = argc > 2 && strcmp(argv[2], "quick") == 0;
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL)
    {
        fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
        return 2;
    }
    RESOLVE(lib, create_device_context);
    RESOLVE(lib, destroy_device_context);
    RESOLVE(lib, get_runtime_size);
    RESOLVE(lib, set_device);
    RESOLVE(lib, run_runtime);
    RESOLVE(lib, finalize_device);
    RESOLVE(lib, simpler_kernel_count);
    RESOLVE(lib, simpler_kernel_name);
    RESOLVE(lib, simpler_last_error);
    CHECK(dlsym(lib, "run_block") == NULL && dlsym(lib, "fail_with") == NULL, "internal symbols exported");

    /* kernel table */
    static const char *const NAMES[] = {"add_f32", "mul_f32", "scale_f32", "matmul_f32", "fail"};
    CHECK(simpler_kernel_count() == 5, "kernel count %d", simpler_kernel_count());
    for (int i = 0; i < 5; i++)
    {
        const char *nm = simpler_kernel_name(i);
        CHECK(nm != NULL && strcmp(nm, NAMES[i]) == 0, "kernel %d = %s", i, nm ? nm : "(null)");
    }
    CHECK(simpler_kernel_name(5) == NULL && simpler_kernel_name(-1) == NULL, "out-of-range kernel name");
    CHECK(simpler_last_error() != NULL && simpler_last_error()[0] == 0, "initial last error not empty");

    /* runtime buffer with a guard after it: never written past its size */
    g_rtsize = get_runtime_size();
    CHECK(g_rtsize > 0, "runtime size");
    g_runtime = malloc(g_rtsize + RT_GUARD);
    memset(g_runtime, 0xA5, g_rtsize + RT_GUARD);

    destroy_device_context(NULL); /* no-op */

    int threads0 = count_threads();
    void *ctx = create_device_context();
    CHECK(ctx != NULL, "create");
    CHECK(set_device(ctx, 0) == 0, "set_device 0");
    g_dev = 0;

    /* tiny kernels: correct, and no pool threads started */
    static const uint32_t small_n[] = {0, 1, 2, 3, 7, 100, 1000, 16383};
    static const int bds[] = {1, 2, 3, 7, 24, 1024};
    const char *ew[] = {"add_f32", "mul_f32", "scale_f32"};
    for (size_t s = 0; s < sizeof small_n / sizeof small_n[0]; s++)
    {
        for (size_t b = 0; b < sizeof bds / sizeof bds[0]; b++)
        {
            for (int k = 0; k < 3; k++)
            {
                test_elementwise(ctx, ew[k], small_n[s], bds[b], 0);
            }
        }
    }
    test_matmul(ctx, 1, 1, 1, 1);
    test_matmul(ctx, 3, 5, 7, 1024);
    test_matmul(ctx, 17, 33, 9, 4);
    int threads_tiny = count_threads();
    CHECK(threads_tiny == threads0, "tiny kernels started threads: %d -> %d", threads0, threads_tiny);

    /* larger kernels: the pool starts */
    static const uint32_t big_n[] = {16384, 65537, 100003, 1000000};
    int nbig = quick ? 3 : 4;
    for (int s = 0; s < nbig; s++)
    {
        for (size_t b = 0; b < sizeof bds / sizeof bds[0]; b++)
        {
            for (int k = 0; k < 3; k++)
            {
                test_elementwise(ctx, ew[k], big_n[s], bds[b], 0);
                test_elementwise(ctx, ew[k], big_n[s], bds[b], 1); /* out == first input */
            }
        }
    }
    int threads_pool = count_threads();
    CHECK(threads_pool > threads0, "no pool threads after big kernels (%d)", threads_pool);
    printf("pool threads: start %d, after tiny kernels %d, after big kernels %d\n", threads0, threads_tiny, threads_pool);

    static const uint32_t mm[][3] = {{1, 1, 1},     {3, 5, 7},    {17, 33, 9},  {64, 64, 64}, {100, 0, 5},
                                     {0, 4, 4},     {5, 4, 0},    {130, 70, 50}, {1, 300, 1000}, {257, 31, 129},
                                     {1000, 1, 300}};
    static const int mbds[] = {1, 2, 5, 24, 1024};
    for (size_t i = 0; i < sizeof mm / sizeof mm[0]; i++)
    {
        for (size_t b = 0; b < sizeof mbds / sizeof mbds[0]; b++)
        {
            test_matmul(ctx, mm[i][0], mm[i][1], mm[i][2], mbds[b]);
        }
    }
    /* scalar high bits are ignored; unused shape dims ignored */
    {
        float x[4] = {1, 2, 3, 4}, o[4] = {0};
        chip_args a;
        args_clear(&a);
        args_tensor1(&a, 0, x, 4);
        args_tensor1(&a, 1, o, 4);
        args_scalar(&a, 0, fbits(-2.0f) | 0xdeadbeef00000000ull);
        args_counts(&a, 2, 1);
        CHECK(run(ctx, "scale_f32", &a, 3, 0) == 0 && o[0] == -2 && o[3] == -8, "scale with high bits");
    }

    printf("error paths:\n");
    test_errors(ctx);

    /* last error is per thread */
    const char *other = NULL;
    pthread_t th;
    pthread_create(&th, NULL, fresh_thread_error, &other);
    pthread_join(th, NULL);
    CHECK(other != NULL && other[0] == 0, "fresh thread sees an error: %s", other ? other : "(null)");

    /* several contexts concurrently */
    enum
    {
        NT = 4
    };
    char main_err_before[600];
    snprintf(main_err_before, sizeof main_err_before, "%s", simpler_last_error());
    thread_job jobs[NT];
    pthread_t ths[NT];
    for (int i = 0; i < NT; i++)
    {
        jobs[i].id = i;
        jobs[i].iters = quick ? 6 : 200;
        jobs[i].ok = 0;
        pthread_create(&ths[i], NULL, concurrent_main, &jobs[i]);
    }
    for (int i = 0; i < NT; i++)
    {
        pthread_join(ths[i], NULL);
        CHECK(jobs[i].ok, "concurrent context %d wrong", i);
        CHECK(strcmp(jobs[i].first_err, "fail: this kernel always fails") == 0, "thread %d error '%s'", i,
              jobs[i].first_err);
    }
    CHECK(strcmp(main_err_before, simpler_last_error()) == 0, "main thread's last error changed by other threads");

    /* runtime buffer guard */
    int guard_ok = 1;
    for (size_t i = g_rtsize; i < g_rtsize + RT_GUARD; i++)
    {
        guard_ok &= ((uint8_t *) g_runtime)[i] == 0xA5;
    }
    CHECK(guard_ok, "runtime buffer written past get_runtime_size()");

    /* destroy stops the pool; a context can be created and destroyed repeatedly */
    destroy_device_context(ctx);
    int threads_end = count_threads();
    CHECK(threads_end == threads0, "threads left after destroy: %d (start %d)", threads_end, threads0);
    for (int i = 0; i < (quick ? 3 : 50); i++)
    {
        void *c = create_device_context();
        g_dev = i % 16;
        set_device(c, g_dev);
        test_elementwise(c, "add_f32", 20000, 8, 0);
        destroy_device_context(c);
    }
    void *c2 = create_device_context(); /* destroyed without ever running */
    destroy_device_context(c2);
    CHECK(count_threads() == threads0, "threads left after create/destroy loop");

    free(g_runtime);
    dlclose(lib);
    printf("%d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
