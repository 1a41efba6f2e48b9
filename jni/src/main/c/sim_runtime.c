/*
 * sim_runtime.c — the CPU "sim" chip runtime of simpler-java (SPEC §9).
 *
 * A shared library exporting the upstream simpler runtime C API
 * (pto_runtime_c_api.h) on the host CPU: 16 devices (ids 0..15) and a fixed
 * table of FLOAT32 kernels whose work is split into `block_dim` blocks that a
 * per-context pool of worker threads runs in parallel, the caller helping.
 *
 * Build (the Maven build and the smoke test use the same line):
 *   gcc -std=c11 -O2 -Wall -Wextra -Werror -fPIC -shared -fvisibility=hidden \
 *       -pthread -o libsimpler_sim.so sim_runtime.c
 *
 * ---------------------------------------------------------------------------
 * Kernels (simpler_kernel_name order; fixed forever, append only)
 *
 *   idx  name        tensors                    scalars       effect
 *   0    add_f32     a, b, out (same count)     none          out[i] = a[i] + b[i]
 *   1    mul_f32     a, b, out (same count)     none          out[i] = a[i] * b[i]
 *   2    scale_f32   x, out (same count)        s (f32 bits)  out[i] = x[i] * s
 *   3    matmul_f32  A (MxK), B (KxN), C (MxN)  none          C = A . B
 *   4    fail        any (ignored)              any (ignored) returns SIM_ERR_KERNEL_FAILED
 *
 * Every tensor must be FLOAT32 (dtype code 0), non-null, 4-byte aligned,
 * ndims 1..5 (exactly 2 for matmul).  A scalar's float travels in the low 32
 * bits of its u64 (SPEC §2.4); the high bits are ignored.  An elementwise
 * output may be exactly the same buffer as an input (in place); any other
 * overlap between an output and an input is rejected, as is any overlap of
 * C with A or B.
 *
 * ---------------------------------------------------------------------------
 * Return codes (0 = success; every failure also sets simpler_last_error())
 *
 *   code  name                          meaning
 *     0   SIM_OK                        success
 *    -1   SIM_ERR_NULL_CONTEXT          ctx is NULL
 *    -2   SIM_ERR_NULL_RUNTIME          runtime buffer is NULL
 *    -3   SIM_ERR_NULL_CALLABLE         callable (kernel name) is NULL
 *    -4   SIM_ERR_NULL_ARGS             args record is NULL
 *    -5   SIM_ERR_INVALID_DEVICE        device id outside 0..15 (set_device or run_runtime)
 *    -6   SIM_ERR_DEVICE_NOT_SET        run_runtime before set_device (or after finalize_device)
 *    -7   SIM_ERR_DEVICE_MISMATCH       run_runtime device_id is not the selected device
 *    -8   SIM_ERR_UNKNOWN_KERNEL        callable names no kernel of this runtime
 *    -9   SIM_ERR_TENSOR_COUNT_RANGE    tensor count outside 0..16
 *   -10   SIM_ERR_SCALAR_COUNT_RANGE    scalar count outside 0..128
 *   -11   SIM_ERR_TENSOR_COUNT          tensor count is not what the kernel needs
 *   -12   SIM_ERR_SCALAR_COUNT          scalar count is not what the kernel needs
 *   -13   SIM_ERR_NULL_TENSOR           a tensor the kernel uses has data address 0
 *   -14   SIM_ERR_NDIMS                 ndims outside 1..5, or not 2 for a matmul tensor
 *   -15   SIM_ERR_DTYPE                 dtype is not FLOAT32 (code 0)
 *   -16   SIM_ERR_ELEMENT_COUNT         elementwise tensors differ in element count
 *   -17   SIM_ERR_MATMUL_SHAPE          B is not KxN for A MxK, or C is not MxN
 *   -18   SIM_ERR_BLOCK_DIM             block_dim outside 1..1024
 *   -19   SIM_ERR_KERNEL_FAILED         the "fail" kernel ran (it always fails)
 *   -20   SIM_ERR_MISALIGNED            a tensor address is not 4-byte aligned
 *   -21   SIM_ERR_TENSOR_TOO_LARGE      element count x 4 bytes overflows the address space
 *   -22   SIM_ERR_OVERLAP               an output partially overlaps an input (see above)
 *
 * set_device returns 0, SIM_ERR_NULL_CONTEXT or SIM_ERR_INVALID_DEVICE;
 * finalize_device returns 0 or SIM_ERR_NULL_CONTEXT (it is idempotent).
 * Validation order in run_runtime: null pointers, device, kernel name,
 * count ranges, block_dim, then ("fail" stops here) per-kernel counts, each
 * tensor (null, ndims, dtype, alignment, size), shapes, overlap.  No tensor
 * data is read or written before every check passed.
 *
 * ---------------------------------------------------------------------------
 * Execution
 *
 * Elementwise kernels split the n elements into block_dim contiguous ranges
 * (sizes differ by at most one; blocks past n are empty), matmul splits the
 * M rows of C the same way.  Small problems (elementwise: fewer than 16384
 * output elements; matmul: fewer than 262144 multiply-adds, i.e. M*N*max(K,1))
 * run every block in order on the calling thread.  Larger ones are published
 * to the context's pool: min(online CPUs, 16) pthreads created on the first
 * run that needs them and stopped by destroy_device_context.  Workers and
 * the caller take block indices from one atomic counter; the caller returns
 * once every worker that joined the run has left it, so nothing touches the
 * run's data after run_runtime returns.  Each context has its own pool, so
 * contexts may run concurrently on different threads; one context is used by
 * one thread at a time.  The worker threads block all signals (so a host JVM
 * keeps its signal handling on its own threads) and never print anything.
 */

#define _GNU_SOURCE 1 /* pthread_setname_np, sysconf */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SIM_EXPORT __attribute__((visibility("default")))

/* ------------------------------------------------------------------------ */
/* Return codes                                                              */

enum sim_status
{
    SIM_OK = 0,
    SIM_ERR_NULL_CONTEXT = -1,
    SIM_ERR_NULL_RUNTIME = -2,
    SIM_ERR_NULL_CALLABLE = -3,
    SIM_ERR_NULL_ARGS = -4,
    SIM_ERR_INVALID_DEVICE = -5,
    SIM_ERR_DEVICE_NOT_SET = -6,
    SIM_ERR_DEVICE_MISMATCH = -7,
    SIM_ERR_UNKNOWN_KERNEL = -8,
    SIM_ERR_TENSOR_COUNT_RANGE = -9,
    SIM_ERR_SCALAR_COUNT_RANGE = -10,
    SIM_ERR_TENSOR_COUNT = -11,
    SIM_ERR_SCALAR_COUNT = -12,
    SIM_ERR_NULL_TENSOR = -13,
    SIM_ERR_NDIMS = -14,
    SIM_ERR_DTYPE = -15,
    SIM_ERR_ELEMENT_COUNT = -16,
    SIM_ERR_MATMUL_SHAPE = -17,
    SIM_ERR_BLOCK_DIM = -18,
    SIM_ERR_KERNEL_FAILED = -19,
    SIM_ERR_MISALIGNED = -20,
    SIM_ERR_TENSOR_TOO_LARGE = -21,
    SIM_ERR_OVERLAP = -22
};

/* ------------------------------------------------------------------------ */
/* Limits and wire layout (SPEC §2.2, §9)                                    */

#define SIM_NUM_DEVICES 16
#define SIM_MAX_TENSORS 16
#define SIM_MAX_SCALARS 128
#define SIM_MAX_DIMS 5
#define SIM_MAX_BLOCK_DIM 1024
#define SIM_MAX_POOL_THREADS 16
#define SIM_RUNTIME_SIZE 4096

#define SIM_TENSOR_RECORD_BYTES 40
#define SIM_OFF_SCALARS 640
#define SIM_OFF_TENSOR_COUNT 1664
#define SIM_OFF_SCALAR_COUNT 1668
#define SIM_ARGS_BYTES 1672

#define SIM_DTYPE_FLOAT32 0
#define SIM_NUM_DTYPES 9

/* below these the whole run stays on the calling thread */
#define SIM_PARALLEL_MIN_ELEMENTS 16384u
#define SIM_PARALLEL_MIN_MADDS 262144u

/* longest kernel name shown in messages; callable names are read at most this far */
#define SIM_NAME_MAX 64

/* ------------------------------------------------------------------------ */
/* Thread-local last error                                                   */

static _Thread_local char sim_last_error[512];

__attribute__((format(printf, 2, 3))) static int fail_with(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sim_last_error, sizeof sim_last_error, fmt, ap);
    va_end(ap);
    return code;
}

/* ------------------------------------------------------------------------ */
/* Kernel table                                                              */

enum kernel_kind
{
    K_ADD,
    K_MUL,
    K_SCALE,
    K_MATMUL,
    K_FAIL
};

typedef struct
{
    const char *name;
    enum kernel_kind kind;
    int tensors;             /* exact tensor count needed; -1 = any */
    int scalars;             /* exact scalar count needed; -1 = any */
    const char *tensor_names[3];
    const char *scalar_names; /* for messages */
    unsigned outputs;         /* bit i set: the kernel writes tensor i */
} kernel_desc;

static const kernel_desc KERNELS[] = {
    {"add_f32", K_ADD, 3, 0, {"a", "b", "out"}, "", 1u << 2},
    {"mul_f32", K_MUL, 3, 0, {"a", "b", "out"}, "", 1u << 2},
    {"scale_f32", K_SCALE, 2, 1, {"x", "out", NULL}, "s", 1u << 1},
    {"matmul_f32", K_MATMUL, 3, 0, {"A", "B", "C"}, "", 1u << 2},
    {"fail", K_FAIL, -1, -1, {NULL, NULL, NULL}, "", 0},
};

#define SIM_NUM_KERNELS ((int) (sizeof KERNELS / sizeof KERNELS[0]))

/* ------------------------------------------------------------------------ */
/* Little-endian decoding (byte-wise: any alignment, any host byte order)    */

static uint32_t rd_u32(const uint8_t *p)
{
    return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static uint64_t rd_u64(const uint8_t *p)
{
    return (uint64_t) rd_u32(p) | (uint64_t) rd_u32(p + 4) << 32;
}

typedef struct
{
    uint64_t addr;
    uint32_t shape[SIM_MAX_DIMS];
    uint32_t ndims;
    uint8_t dtype;
    uint64_t elements; /* valid after validation */
} tensor_view;

static void decode_tensor(const uint8_t *args, int i, tensor_view *t)
{
    const uint8_t *r = args + (size_t) i * SIM_TENSOR_RECORD_BYTES;
    t->addr = rd_u64(r);
    for (int d = 0; d < SIM_MAX_DIMS; d++)
    {
        t->shape[d] = rd_u32(r + 8 + 4 * d);
    }
    t->ndims = rd_u32(r + 28);
    t->dtype = r[32];
    t->elements = 0;
}

/* ------------------------------------------------------------------------ */
/* Work description and block execution                                      */

typedef struct
{
    enum kernel_kind kind;
    uint32_t nblocks;
    const float *a;  /* a, x or A */
    const float *b;  /* b or B */
    float *out;      /* out or C */
    float s;
    uint64_t n;      /* elementwise: element count; matmul: M (rows of C) */
    uint64_t k;      /* matmul */
    uint64_t ncols;  /* matmul: N */
} sim_job;

/* [begin, end) of block b when `total` items are split into nb near-equal parts */
static void block_range(uint64_t total, uint32_t nb, uint32_t b, uint64_t *begin, uint64_t *end)
{
    uint64_t q = total / nb;
    uint64_t r = total % nb;
    *begin = (uint64_t) b * q + (b < r ? b : r);
    *end = *begin + q + (b < r ? 1 : 0);
}

static void ew_add(const float *a, const float *b, float *out, uint64_t lo, uint64_t hi)
{
    for (uint64_t i = lo; i < hi; i++)
    {
        out[i] = a[i] + b[i];
    }
}

static void ew_mul(const float *a, const float *b, float *out, uint64_t lo, uint64_t hi)
{
    for (uint64_t i = lo; i < hi; i++)
    {
        out[i] = a[i] * b[i];
    }
}

static void ew_scale(const float *x, float s, float *out, uint64_t lo, uint64_t hi)
{
    for (uint64_t i = lo; i < hi; i++)
    {
        out[i] = x[i] * s;
    }
}

/* rows [lo, hi) of C = A.B; C never overlaps A or B (checked), so restrict holds */
static void mm_rows(const float *restrict A, const float *restrict B, float *restrict C,
                    uint64_t K, uint64_t N, uint64_t lo, uint64_t hi)
{
    for (uint64_t i = lo; i < hi; i++)
    {
        float *restrict c = C + i * N;
        const float *restrict a = A + i * K;
        for (uint64_t j = 0; j < N; j++)
        {
            c[j] = 0.0f;
        }
        for (uint64_t p = 0; p < K; p++)
        {
            const float aip = a[p];
            const float *restrict brow = B + p * N;
            for (uint64_t j = 0; j < N; j++)
            {
                c[j] += aip * brow[j];
            }
        }
    }
}

static void run_block(const sim_job *job, uint32_t blk)
{
    uint64_t lo, hi;
    block_range(job->n, job->nblocks, blk, &lo, &hi);
    if (lo >= hi)
    {
        return;
    }
    switch (job->kind)
    {
    case K_ADD:
        ew_add(job->a, job->b, job->out, lo, hi);
        break;
    case K_MUL:
        ew_mul(job->a, job->b, job->out, lo, hi);
        break;
    case K_SCALE:
        ew_scale(job->a, job->s, job->out, lo, hi);
        break;
    case K_MATMUL:
        mm_rows(job->a, job->b, job->out, job->k, job->ncols, lo, hi);
        break;
    case K_FAIL:
        break;
    }
}

/* ------------------------------------------------------------------------ */
/* Device context and its worker pool                                        */

typedef struct sim_context
{
    int device; /* selected device, -1 = none */

    /* pool; everything below except `next` and the job contents is guarded by `mu` */
    pthread_mutex_t mu;
    pthread_cond_t work_cv; /* workers wait here for a run (or stop) */
    pthread_cond_t done_cv; /* the caller waits here for joined workers to leave */
    pthread_t threads[SIM_MAX_POOL_THREADS];
    int nthreads;
    int pool_started;
    int stop;
    int open;          /* a run is accepting workers */
    uint64_t gen;      /* run generation, bumped per published run */
    int busy;          /* workers currently inside the run */
    sim_job job;       /* written only by the caller, under `mu`, while no worker is inside */
    atomic_uint next;  /* next block index to take */
} sim_context;

static void take_blocks(sim_context *ctx)
{
    const sim_job *job = &ctx->job;
    const uint32_t nb = job->nblocks;
    for (;;)
    {
        unsigned b = atomic_fetch_add_explicit(&ctx->next, 1u, memory_order_relaxed);
        if (b >= nb)
        {
            return;
        }
        run_block(job, b);
    }
}

static void *worker_main(void *arg)
{
    sim_context *ctx = (sim_context *) arg;
    uint64_t seen = 0;
    pthread_mutex_lock(&ctx->mu);
    for (;;)
    {
        while (!ctx->stop && (!ctx->open || ctx->gen == seen))
        {
            pthread_cond_wait(&ctx->work_cv, &ctx->mu);
        }
        if (ctx->stop)
        {
            break;
        }
        seen = ctx->gen;
        ctx->busy++;
        pthread_mutex_unlock(&ctx->mu);

        take_blocks(ctx);

        pthread_mutex_lock(&ctx->mu);
        if (--ctx->busy == 0)
        {
            pthread_cond_signal(&ctx->done_cv);
        }
    }
    pthread_mutex_unlock(&ctx->mu);
    return NULL;
}

static int pool_size(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
    {
        n = 1;
    }
    if (n > SIM_MAX_POOL_THREADS)
    {
        n = SIM_MAX_POOL_THREADS;
    }
    return (int) n;
}

/* Starts the pool once; on thread-creation failure keeps the threads it got
 * (possibly none: the caller then runs every block itself). */
static void pool_start(sim_context *ctx)
{
    if (ctx->pool_started)
    {
        return;
    }
    ctx->pool_started = 1;

    int want = pool_size();
    pthread_attr_t attr;
    int have_attr = pthread_attr_init(&attr) == 0;
    if (have_attr)
    {
        pthread_attr_setstacksize(&attr, 256 * 1024);
    }
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (int i = 0; i < want; i++)
    {
        if (pthread_create(&ctx->threads[ctx->nthreads], have_attr ? &attr : NULL, worker_main, ctx) != 0)
        {
            break;
        }
#if defined(__GLIBC__)
        char name[16];
        snprintf(name, sizeof name, "simpler-sim-%d", i);
        pthread_setname_np(ctx->threads[ctx->nthreads], name);
#endif
        ctx->nthreads++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (have_attr)
    {
        pthread_attr_destroy(&attr);
    }
}

static void pool_stop(sim_context *ctx)
{
    pthread_mutex_lock(&ctx->mu);
    ctx->stop = 1;
    pthread_cond_broadcast(&ctx->work_cv);
    pthread_mutex_unlock(&ctx->mu);
    for (int i = 0; i < ctx->nthreads; i++)
    {
        pthread_join(ctx->threads[i], NULL);
    }
    ctx->nthreads = 0;
}

static void execute(sim_context *ctx, const sim_job *job, int parallel)
{
    if (parallel)
    {
        pool_start(ctx);
    }
    if (!parallel || ctx->nthreads == 0 || job->nblocks < 2)
    {
        for (uint32_t b = 0; b < job->nblocks; b++)
        {
            run_block(job, b);
        }
        return;
    }

    pthread_mutex_lock(&ctx->mu);
    ctx->job = *job; /* no worker is inside a run here (busy == 0, open == 0) */
    atomic_store_explicit(&ctx->next, 0u, memory_order_relaxed);
    ctx->gen++;
    ctx->open = 1;
    if ((uint32_t) ctx->nthreads < job->nblocks - 1)
    {
        pthread_cond_broadcast(&ctx->work_cv);
    }
    else
    {
        for (uint32_t i = 0; i + 1 < job->nblocks; i++)
        {
            pthread_cond_signal(&ctx->work_cv);
        }
    }
    pthread_mutex_unlock(&ctx->mu);

    take_blocks(ctx);

    /* every block is taken; the ones still running belong to joined workers */
    pthread_mutex_lock(&ctx->mu);
    while (ctx->busy > 0)
    {
        pthread_cond_wait(&ctx->done_cv, &ctx->mu);
    }
    ctx->open = 0; /* late wakers see a closed run and go back to sleep */
    pthread_mutex_unlock(&ctx->mu);
}

/* ------------------------------------------------------------------------ */
/* Validation helpers                                                        */

/* Copies a printable, bounded rendering of a callable name (reads at most
 * SIM_NAME_MAX bytes); returns 1 when the name ended within the bound. */
static int copy_name(const char *src, char *dst, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < SIM_NAME_MAX; i++)
    {
        unsigned char c = (unsigned char) src[i];
        if (c == 0)
        {
            dst[o] = 0;
            return 1;
        }
        if (o + 5 >= cap)
        {
            break;
        }
        if (c >= 0x20 && c < 0x7f)
        {
            dst[o++] = (char) c;
        }
        else
        {
            o += (size_t) snprintf(dst + o, cap - o, "\\x%02x", c);
        }
    }
    if (o + 4 < cap)
    {
        memcpy(dst + o, "...", 4);
    }
    else
    {
        dst[o] = 0;
    }
    return 0;
}

static const kernel_desc *find_kernel(const char *name)
{
    for (int i = 0; i < SIM_NUM_KERNELS; i++)
    {
        /* strncmp stops at the first difference or NUL: reads at most strlen(KERNELS[i].name)+1 bytes */
        if (strncmp(name, KERNELS[i].name, SIM_NAME_MAX) == 0)
        {
            return &KERNELS[i];
        }
    }
    return NULL;
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* per-tensor checks; fills t->elements */
static int check_tensor(const kernel_desc *k, int i, tensor_view *t)
{
    const char *kn = k->name;
    const char *tn = k->tensor_names[i];
    if (t->addr == 0)
    {
        return fail_with(SIM_ERR_NULL_TENSOR, "%s: tensor %d (%s) is null (data address 0)", kn, i, tn);
    }
    if (t->ndims < 1 || t->ndims > SIM_MAX_DIMS)
    {
        return fail_with(SIM_ERR_NDIMS, "%s: tensor %d (%s) has ndims %" PRIu32 ", must be 1..%d", kn, i, tn,
                         t->ndims, SIM_MAX_DIMS);
    }
    if (k->kind == K_MATMUL && t->ndims != 2)
    {
        return fail_with(SIM_ERR_NDIMS, "%s: tensor %d (%s) has %" PRIu32 " dims, must be 2-D", kn, i, tn,
                         t->ndims);
    }
    if (t->dtype != SIM_DTYPE_FLOAT32)
    {
        static const char *const DTYPES[SIM_NUM_DTYPES] = {"FLOAT32", "FLOAT16", "INT32", "INT16", "INT8",
                                                           "UINT8", "BFLOAT16", "INT64", "UINT64"};
        return fail_with(SIM_ERR_DTYPE, "%s: tensor %d (%s) has dtype %u (%s), must be FLOAT32 (0)", kn, i, tn,
                         (unsigned) t->dtype, t->dtype < SIM_NUM_DTYPES ? DTYPES[t->dtype] : "unknown");
    }
    if (t->addr % sizeof(float) != 0)
    {
        return fail_with(SIM_ERR_MISALIGNED, "%s: tensor %d (%s) address 0x%" PRIx64 " is not 4-byte aligned", kn,
                         i, tn, t->addr);
    }
    uint64_t n = 1;
    int overflow = 0;
    for (uint32_t d = 0; d < t->ndims; d++)
    {
        uint64_t dim = t->shape[d];
        if (dim != 0 && n > UINT64_MAX / dim)
        {
            overflow = 1;
        }
        n *= dim;
    }
    if (!overflow && n != 0)
    {
        uint64_t max_bytes = (uint64_t) UINTPTR_MAX - t->addr;
        overflow = n > max_bytes / sizeof(float);
    }
    if (overflow)
    {
        return fail_with(SIM_ERR_TENSOR_TOO_LARGE,
                         "%s: tensor %d (%s) at 0x%" PRIx64 " is too large: its shape's element count x 4 bytes "
                         "exceeds the address space",
                         kn, i, tn, t->addr);
    }
    t->elements = n;
    return SIM_OK;
}

static int ranges_overlap(const tensor_view *x, const tensor_view *y)
{
    uint64_t xe = x->addr + x->elements * sizeof(float);
    uint64_t ye = y->addr + y->elements * sizeof(float);
    if (x->elements == 0 || y->elements == 0)
    {
        return 0;
    }
    return x->addr < ye && y->addr < xe;
}

static int check_overlap(const kernel_desc *k, const tensor_view *t, int out, int in, int allow_exact)
{
    if (!ranges_overlap(&t[out], &t[in]))
    {
        return SIM_OK;
    }
    if (allow_exact && t[out].addr == t[in].addr && t[out].elements == t[in].elements)
    {
        return SIM_OK;
    }
    return fail_with(SIM_ERR_OVERLAP,
                     "%s: tensor %d (%s) [0x%" PRIx64 ", +%" PRIu64 " B) overlaps tensor %d (%s) [0x%" PRIx64
                     ", +%" PRIu64 " B)%s",
                     k->name, out, k->tensor_names[out], t[out].addr, t[out].elements * 4, in,
                     k->tensor_names[in], t[in].addr, t[in].elements * 4,
                     allow_exact ? "; an output may only be exactly the same buffer as an input"
                                 : "; the output must not overlap an input");
}

/* ------------------------------------------------------------------------ */
/* Exported API                                                              */

SIM_EXPORT void *create_device_context(void)
{
    sim_context *ctx = calloc(1, sizeof *ctx);
    if (ctx == NULL)
    {
        return NULL;
    }
    ctx->device = -1;
    atomic_init(&ctx->next, 0u);
    if (pthread_mutex_init(&ctx->mu, NULL) != 0)
    {
        free(ctx);
        return NULL;
    }
    if (pthread_cond_init(&ctx->work_cv, NULL) != 0)
    {
        pthread_mutex_destroy(&ctx->mu);
        free(ctx);
        return NULL;
    }
    if (pthread_cond_init(&ctx->done_cv, NULL) != 0)
    {
        pthread_cond_destroy(&ctx->work_cv);
        pthread_mutex_destroy(&ctx->mu);
        free(ctx);
        return NULL;
    }
    return ctx;
}

SIM_EXPORT void destroy_device_context(void *vctx)
{
    sim_context *ctx = (sim_context *) vctx;
    if (ctx == NULL)
    {
        return;
    }
    pool_stop(ctx);
    pthread_cond_destroy(&ctx->done_cv);
    pthread_cond_destroy(&ctx->work_cv);
    pthread_mutex_destroy(&ctx->mu);
    free(ctx);
}

SIM_EXPORT size_t get_runtime_size(void)
{
    return SIM_RUNTIME_SIZE;
}

SIM_EXPORT int set_device(void *vctx, int device_id)
{
    sim_context *ctx = (sim_context *) vctx;
    if (ctx == NULL)
    {
        return fail_with(SIM_ERR_NULL_CONTEXT, "set_device: device context is NULL");
    }
    if (device_id < 0 || device_id >= SIM_NUM_DEVICES)
    {
        return fail_with(SIM_ERR_INVALID_DEVICE, "set_device: device id %d is outside 0..%d", device_id,
                         SIM_NUM_DEVICES - 1);
    }
    ctx->device = device_id;
    return SIM_OK;
}

SIM_EXPORT int finalize_device(void *vctx)
{
    sim_context *ctx = (sim_context *) vctx;
    if (ctx == NULL)
    {
        return fail_with(SIM_ERR_NULL_CONTEXT, "finalize_device: device context is NULL");
    }
    ctx->device = -1;
    return SIM_OK;
}

SIM_EXPORT int simpler_kernel_count(void)
{
    return SIM_NUM_KERNELS;
}

SIM_EXPORT const char *simpler_kernel_name(int index)
{
    if (index < 0 || index >= SIM_NUM_KERNELS)
    {
        return NULL;
    }
    return KERNELS[index].name;
}

SIM_EXPORT unsigned simpler_kernel_outputs(int index)
{
    if (index < 0 || index >= SIM_NUM_KERNELS)
    {
        return 0;
    }
    return KERNELS[index].outputs;
}

SIM_EXPORT const char *simpler_last_error(void)
{
    return sim_last_error;
}

SIM_EXPORT int run_runtime(void *vctx, void *runtime, const void *callable, const void *vargs, int block_dim,
                           int aicpu_thread_num, int device_id, const uint8_t *aicpu_binary, size_t aicpu_size,
                           const uint8_t *aicore_binary, size_t aicore_size, int enable_profiling,
                           int enable_dump_tensor)
{
    (void) aicpu_thread_num;
    (void) aicpu_binary;
    (void) aicpu_size;
    (void) aicore_binary;
    (void) aicore_size;
    (void) enable_profiling;
    (void) enable_dump_tensor;

    sim_context *ctx = (sim_context *) vctx;
    const uint8_t *args = (const uint8_t *) vargs;

    if (ctx == NULL)
    {
        return fail_with(SIM_ERR_NULL_CONTEXT, "run_runtime: device context is NULL");
    }
    if (runtime == NULL)
    {
        return fail_with(SIM_ERR_NULL_RUNTIME, "run_runtime: runtime buffer is NULL (allocate get_runtime_size() = %u bytes)",
                         (unsigned) SIM_RUNTIME_SIZE);
    }
    if (callable == NULL)
    {
        return fail_with(SIM_ERR_NULL_CALLABLE, "run_runtime: callable (kernel name) is NULL");
    }

    char shown[SIM_NAME_MAX * 4 + 8];
    copy_name((const char *) callable, shown, sizeof shown);

    if (args == NULL)
    {
        return fail_with(SIM_ERR_NULL_ARGS, "%s: args record is NULL", shown);
    }

    /* device */
    if (device_id < 0 || device_id >= SIM_NUM_DEVICES)
    {
        return fail_with(SIM_ERR_INVALID_DEVICE, "%s: device id %d is outside 0..%d", shown, device_id,
                         SIM_NUM_DEVICES - 1);
    }
    if (ctx->device < 0)
    {
        return fail_with(SIM_ERR_DEVICE_NOT_SET, "%s: no device selected (call set_device(%d) first)", shown,
                         device_id);
    }
    if (device_id != ctx->device)
    {
        return fail_with(SIM_ERR_DEVICE_MISMATCH, "%s: device id %d is not the selected device %d", shown,
                         device_id, ctx->device);
    }

    /* kernel */
    const kernel_desc *k = find_kernel((const char *) callable);
    if (k == NULL)
    {
        char known[128];
        size_t o = 0;
        for (int i = 0; i < SIM_NUM_KERNELS && o < sizeof known; i++)
        {
            o += (size_t) snprintf(known + o, sizeof known - o, "%s%s", i ? ", " : "", KERNELS[i].name);
        }
        return fail_with(SIM_ERR_UNKNOWN_KERNEL, "unknown kernel \"%s\" (this runtime has: %s)", shown, known);
    }
    const char *kn = k->name;

    /* counts */
    int32_t tcount = (int32_t) rd_u32(args + SIM_OFF_TENSOR_COUNT);
    int32_t scount = (int32_t) rd_u32(args + SIM_OFF_SCALAR_COUNT);
    if (tcount < 0 || tcount > SIM_MAX_TENSORS)
    {
        return fail_with(SIM_ERR_TENSOR_COUNT_RANGE, "%s: tensor count %" PRId32 " is outside 0..%d", kn, tcount,
                         SIM_MAX_TENSORS);
    }
    if (scount < 0 || scount > SIM_MAX_SCALARS)
    {
        return fail_with(SIM_ERR_SCALAR_COUNT_RANGE, "%s: scalar count %" PRId32 " is outside 0..%d", kn, scount,
                         SIM_MAX_SCALARS);
    }
    if (block_dim < 1 || block_dim > SIM_MAX_BLOCK_DIM)
    {
        return fail_with(SIM_ERR_BLOCK_DIM, "%s: block_dim %d is outside 1..%d", kn, block_dim, SIM_MAX_BLOCK_DIM);
    }
    if (k->kind == K_FAIL)
    {
        return fail_with(SIM_ERR_KERNEL_FAILED, "fail: this kernel always fails");
    }
    if (tcount != k->tensors)
    {
        return fail_with(SIM_ERR_TENSOR_COUNT, "%s: needs %d tensors (%s, %s%s%s), got %" PRId32, kn, k->tensors,
                         k->tensor_names[0], k->tensor_names[1], k->tensors > 2 ? ", " : "",
                         k->tensors > 2 ? k->tensor_names[2] : "", tcount);
    }
    if (scount != k->scalars)
    {
        if (k->scalars == 0)
        {
            return fail_with(SIM_ERR_SCALAR_COUNT, "%s: takes no scalars, got %" PRId32, kn, scount);
        }
        return fail_with(SIM_ERR_SCALAR_COUNT, "%s: needs %d %s (%s), got %" PRId32, kn, k->scalars,
                         plural((uint64_t) k->scalars, "scalar", "scalars"), k->scalar_names, scount);
    }

    /* tensors */
    tensor_view t[3];
    for (int i = 0; i < tcount; i++)
    {
        decode_tensor(args, i, &t[i]);
        int rc = check_tensor(k, i, &t[i]);
        if (rc != SIM_OK)
        {
            return rc;
        }
    }

    sim_job job;
    memset(&job, 0, sizeof job);
    job.kind = k->kind;
    job.nblocks = (uint32_t) block_dim;
    uint64_t work;

    if (k->kind == K_MATMUL)
    {
        uint64_t m = t[0].shape[0], kk = t[0].shape[1];
        uint64_t bk = t[1].shape[0], n = t[1].shape[1];
        if (bk != kk)
        {
            return fail_with(SIM_ERR_MATMUL_SHAPE,
                             "%s: tensor 1 (B) is %" PRIu64 "x%" PRIu64 " but tensor 0 (A) is %" PRIu64 "x%" PRIu64
                             ", so B must have %" PRIu64 " rows (B must be KxN for A MxK)",
                             kn, bk, n, m, kk, kk);
        }
        if (t[2].shape[0] != m || t[2].shape[1] != n)
        {
            return fail_with(SIM_ERR_MATMUL_SHAPE,
                             "%s: tensor 2 (C) is %" PRIu32 "x%" PRIu32 ", must be %" PRIu64 "x%" PRIu64
                             " (MxN for A %" PRIu64 "x%" PRIu64 ", B %" PRIu64 "x%" PRIu64 ")",
                             kn, t[2].shape[0], t[2].shape[1], m, n, m, kk, kk, n);
        }
        for (int in = 0; in < 2; in++)
        {
            int rc = check_overlap(k, t, 2, in, 0);
            if (rc != SIM_OK)
            {
                return rc;
            }
        }
        job.a = (const float *) (uintptr_t) t[0].addr;
        job.b = (const float *) (uintptr_t) t[1].addr;
        job.out = (float *) (uintptr_t) t[2].addr;
        job.n = m;
        job.k = kk;
        job.ncols = n;
        /* M*N*max(K,1), saturating (each factor < 2^32 and the tensors fit in memory) */
        uint64_t mn = m * n;
        uint64_t kf = kk ? kk : 1;
        work = (mn != 0 && kf > UINT64_MAX / mn) ? UINT64_MAX : mn * kf;
        /* C's row count decides the blocks */
        execute(ctx, &job, work >= SIM_PARALLEL_MIN_MADDS);
        return SIM_OK;
    }

    /* elementwise: the last tensor is the output */
    int outi = tcount - 1;
    for (int i = 1; i < tcount; i++)
    {
        if (t[i].elements != t[0].elements)
        {
            return fail_with(SIM_ERR_ELEMENT_COUNT, "%s: tensor %d (%s) has %" PRIu64 " %s, tensor 0 (%s) has %" PRIu64,
                             kn, i, k->tensor_names[i], t[i].elements, plural(t[i].elements, "element", "elements"),
                             k->tensor_names[0], t[0].elements);
        }
    }
    for (int in = 0; in < outi; in++)
    {
        int rc = check_overlap(k, t, outi, in, 1);
        if (rc != SIM_OK)
        {
            return rc;
        }
    }
    job.a = (const float *) (uintptr_t) t[0].addr;
    job.out = (float *) (uintptr_t) t[outi].addr;
    job.n = t[0].elements;
    if (k->kind == K_SCALE)
    {
        uint32_t bits = (uint32_t) rd_u64(args + SIM_OFF_SCALARS);
        memcpy(&job.s, &bits, sizeof job.s);
    }
    else
    {
        job.b = (const float *) (uintptr_t) t[1].addr;
    }
    work = job.n;
    execute(ctx, &job, work >= SIM_PARALLEL_MIN_ELEMENTS);
    return SIM_OK;
}
