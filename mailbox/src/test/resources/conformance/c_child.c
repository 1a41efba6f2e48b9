/*
 * A mailbox child written only from the SPEC tables: §7 (mailbox), §2.2 (tensor wire record) and §2.5 (args
 * blob). It shares no code and no header with the Java implementation; every offset and code below is copied
 * from those tables.
 *
 * usage: c_child <mailbox file> <data file> <parent base address of the data file, hex>
 *
 * Tensor addresses in a task are the PARENT's addresses; this child translates them into its own mapping of the
 * data file: local = data_map + (address - parent_base). A tensor that is not wholly inside the data file fails
 * the task with error 1.
 *
 * Callables (the mailbox's callable field):
 *   1 add:   float32 tensors 0, 1 (inputs) and 2 (output) of equal element counts: t2[i] = t0[i] + t1[i]
 *   2 scale: float32 tensors 0 (input) and 1 (output) of equal element counts, scalar 0 a float32's bits
 *            zero-extended to 64: t1[i] = t0[i] * scalar
 *   3 fail:  error 2, message "c child: callable 3 failed on purpose"
 *   4 echo:  int64 tensor 0 of at least 14 + S elements receives, little-endian:
 *            [0] callable, [1] blockDim, [2] aicpuThreadNum, [3] enableProfiling, [4] enableDumpTensor, [5] T,
 *            [6] S, [7] tensor 0's ndims, [8..12] its shape[0..4], [13] its dtype code, [14..14+S) the scalars
 *   any other id: error 1, message "c child: unknown callable <id as unsigned decimal>"
 * A callable whose arguments do not match, or a corrupt blob, fails the task with error 1 and a message.
 * Tensor data is little-endian.
 *
 * Exit status: 0 after SHUTDOWN, 2 bad usage, 3 initialisation failed (reported in the mailbox as status 2 with
 * error 99 and a message once the mailbox is mapped), 4 a state outside 0..3, 5 the parent process is gone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the state and status words are loaded and stored atomically in native order: little-endian hosts only"
#endif

/* SPEC §7: the mailbox. */
#define MB_LENGTH 4096
#define MB_STATE 0
#define MB_ERROR 4
#define MB_CALLABLE 8
#define MB_BLOCK_DIM 16
#define MB_AICPU_THREAD_NUM 20
#define MB_ENABLE_PROFILING 24
#define MB_ENABLE_DUMP_TENSOR 28
#define MB_CHILD_PID 32
#define MB_CHILD_STATUS 36
#define MB_ARGS 64
#define MB_ARGS_CAPACITY 4032

#define STATE_IDLE 0
#define STATE_TASK_READY 1
#define STATE_TASK_DONE 2
#define STATE_SHUTDOWN 3

#define CHILD_READY 1
#define CHILD_INIT_FAILED 2

#define ERROR_OK 0
#define ERROR_RUN_FAILED 1
#define ERROR_CALLABLE_THREW 2
#define ERROR_INIT_FAILED 99

/* SPEC §2.5: the args blob. */
#define BLOB_TENSOR_COUNT 0
#define BLOB_SCALAR_COUNT 4
#define BLOB_HEADER 8
#define BLOB_SCALAR_LENGTH 8

/* SPEC §2.2: the tensor wire record. */
#define TR_LENGTH 40
#define TR_ADDRESS 0
#define TR_SHAPE 8
#define TR_NDIMS 28
#define TR_DTYPE 32
#define TR_PADDING 33
#define TR_PADDING_LENGTH 7
#define MAX_DIMS 5

/* SPEC §2.1: data types. */
#define DTYPE_FLOAT32 0
#define DTYPE_INT64 7
#define DTYPE_COUNT 9
static const uint64_t ELEMENT_SIZE[DTYPE_COUNT] = { 4, 2, 4, 2, 1, 1, 2, 8, 8 };

#define CALLABLE_ADD 1
#define CALLABLE_SCALE 2
#define CALLABLE_FAIL 3
#define CALLABLE_ECHO 4
#define ECHO_FIXED 14

#define EXIT_USAGE 2
#define EXIT_INIT_FAILED 3
#define EXIT_CORRUPT_STATE 4
#define EXIT_PARENT_GONE 5

#define MAX_TENSORS ((MB_ARGS_CAPACITY - BLOB_HEADER) / TR_LENGTH)
#define MESSAGE_CAPACITY (MB_LENGTH - MB_ARGS - 4)

typedef struct
{
    uint64_t address;
    uint32_t shape[MAX_DIMS];
    uint32_t ndims;
    uint8_t dtype;
    uint64_t count;
    uint64_t nbytes;
    unsigned char *local;
} tensor_t;

typedef struct
{
    uint64_t callable;
    int32_t block_dim;
    int32_t aicpu_thread_num;
    int32_t enable_profiling;
    int32_t enable_dump_tensor;
    int32_t tensor_count;
    int32_t scalar_count;
    tensor_t tensors[MAX_TENSORS];
    uint64_t scalars[MB_ARGS_CAPACITY / BLOB_SCALAR_LENGTH];
} task_t;

static unsigned char *mailbox;
static unsigned char *data;
static uint64_t data_length;
static uint64_t parent_base;
static task_t task;
static char message[MESSAGE_CAPACITY + 1];

/* Little-endian plain fields, assembled byte by byte. */
static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const unsigned char *p)
{
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static void put_u64(unsigned char *p, uint64_t v)
{
    put_u32(p, (uint32_t)v);
    put_u32(p + 4, (uint32_t)(v >> 32));
}

static float get_f32(const unsigned char *p)
{
    const uint32_t bits = get_u32(p);
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static void put_f32(unsigned char *p, float f)
{
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    put_u32(p, bits);
}

static int32_t load_acquire(int offset)
{
    return __atomic_load_n((int32_t *)(mailbox + offset), __ATOMIC_ACQUIRE);
}

static void store_release(int offset, int32_t value)
{
    __atomic_store_n((int32_t *)(mailbox + offset), value, __ATOMIC_RELEASE);
}

static int fail_with(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* Formats the message for a failed task; returns ERROR_RUN_FAILED for a one-line "return fail_with(...)". */
static int fail_with(const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    vsnprintf(message, sizeof message, format, ap);
    va_end(ap);
    return ERROR_RUN_FAILED;
}

/* SPEC §7 failure detail: [i32 length][UTF-8 bytes] in the args area, truncated to fit. */
static void put_message(const char *text)
{
    size_t length = strlen(text);
    if (length > MESSAGE_CAPACITY)
    {
        length = MESSAGE_CAPACITY;
    }
    memcpy(mailbox + MB_ARGS + 4, text, length);
    put_u32(mailbox + MB_ARGS, (uint32_t)length);
}

static void finish(int error)
{
    if (error != ERROR_OK)
    {
        put_message(message);
    }
    put_u32(mailbox + MB_ERROR, (uint32_t)error);
    store_release(MB_STATE, STATE_TASK_DONE);
}

static int decode_tensor(int index, const unsigned char *record, tensor_t *t)
{
    t->address = get_u64(record + TR_ADDRESS);
    t->ndims = get_u32(record + TR_NDIMS);
    t->dtype = record[TR_DTYPE];
    if (t->ndims < 1 || t->ndims > MAX_DIMS)
    {
        return fail_with("c child: tensor %d has ndims %" PRIu32 ", must be 1..5", index, t->ndims);
    }
    if (t->dtype >= DTYPE_COUNT)
    {
        return fail_with("c child: tensor %d has dtype code %u, must be 0..8", index, (unsigned)t->dtype);
    }
    for (int i = 0; i < TR_PADDING_LENGTH; i++)
    {
        if (record[TR_PADDING + i] != 0)
        {
            return fail_with("c child: tensor %d has non-zero padding byte at record offset %d", index,
                TR_PADDING + i);
        }
    }
    uint64_t count = 1;
    for (uint32_t d = 0; d < MAX_DIMS; d++)
    {
        t->shape[d] = get_u32(record + TR_SHAPE + 4 * d);
        if (d >= t->ndims)
        {
            if (t->shape[d] != 0)
            {
                return fail_with("c child: tensor %d has unused shape[%" PRIu32 "] = %" PRIu32 ", must be 0",
                    index, d, t->shape[d]);
            }
            continue;
        }
        if (t->shape[d] != 0 && count > UINT64_MAX / 8 / t->shape[d])
        {
            return fail_with("c child: tensor %d is too large", index);
        }
        count *= t->shape[d];
    }
    t->count = count;
    t->nbytes = count * ELEMENT_SIZE[t->dtype];
    if (t->address == 0)
    {
        t->local = NULL;
        return ERROR_OK;
    }
    const uint64_t offset = t->address - parent_base;
    if (t->address < parent_base || offset > data_length || t->nbytes > data_length - offset)
    {
        return fail_with("c child: tensor %d is not in the data file: address=0x%" PRIx64 ", nbytes=%" PRIu64
            ", data file at 0x%" PRIx64 " of %" PRIu64 " bytes", index, t->address, t->nbytes, parent_base,
            data_length);
    }
    t->local = data + offset;
    return ERROR_OK;
}

static int decode_task(void)
{
    const unsigned char *blob = mailbox + MB_ARGS;
    task.callable = get_u64(mailbox + MB_CALLABLE);
    task.block_dim = (int32_t)get_u32(mailbox + MB_BLOCK_DIM);
    task.aicpu_thread_num = (int32_t)get_u32(mailbox + MB_AICPU_THREAD_NUM);
    task.enable_profiling = (int32_t)get_u32(mailbox + MB_ENABLE_PROFILING);
    task.enable_dump_tensor = (int32_t)get_u32(mailbox + MB_ENABLE_DUMP_TENSOR);
    task.tensor_count = (int32_t)get_u32(blob + BLOB_TENSOR_COUNT);
    task.scalar_count = (int32_t)get_u32(blob + BLOB_SCALAR_COUNT);
    const int64_t length = BLOB_HEADER + (int64_t)TR_LENGTH * task.tensor_count
        + (int64_t)BLOB_SCALAR_LENGTH * task.scalar_count;
    if (task.tensor_count < 0 || task.scalar_count < 0 || length > MB_ARGS_CAPACITY)
    {
        return fail_with("c child: corrupt args blob: T=%" PRId32 ", S=%" PRId32 ", capacity %d", task.tensor_count,
            task.scalar_count, MB_ARGS_CAPACITY);
    }
    for (int i = 0; i < task.tensor_count; i++)
    {
        const int error = decode_tensor(i, blob + BLOB_HEADER + TR_LENGTH * i, &task.tensors[i]);
        if (error != ERROR_OK)
        {
            return error;
        }
    }
    const unsigned char *scalars = blob + BLOB_HEADER + TR_LENGTH * task.tensor_count;
    for (int i = 0; i < task.scalar_count; i++)
    {
        task.scalars[i] = get_u64(scalars + BLOB_SCALAR_LENGTH * i);
    }
    return ERROR_OK;
}

static int check_float_tensors(const char *name, int needed)
{
    if (task.tensor_count < needed)
    {
        return fail_with("c child: %s needs %d tensors, got %" PRId32, name, needed, task.tensor_count);
    }
    for (int i = 0; i < needed; i++)
    {
        const tensor_t *t = &task.tensors[i];
        if (t->dtype != DTYPE_FLOAT32 || t->local == NULL || t->count != task.tensors[0].count)
        {
            return fail_with("c child: %s needs %d non-null float32 tensors of equal element counts; tensor %d "
                "has dtype %u and %" PRIu64 " elements", name, needed, i, (unsigned)t->dtype, t->count);
        }
    }
    return ERROR_OK;
}

static int run_add(void)
{
    const int error = check_float_tensors("add", 3);
    if (error != ERROR_OK)
    {
        return error;
    }
    const tensor_t *a = &task.tensors[0];
    const tensor_t *b = &task.tensors[1];
    const tensor_t *out = &task.tensors[2];
    for (uint64_t i = 0; i < out->count; i++)
    {
        put_f32(out->local + 4 * i, get_f32(a->local + 4 * i) + get_f32(b->local + 4 * i));
    }
    return ERROR_OK;
}

static int run_scale(void)
{
    const int error = check_float_tensors("scale", 2);
    if (error != ERROR_OK)
    {
        return error;
    }
    if (task.scalar_count < 1)
    {
        return fail_with("c child: scale needs 1 scalar, got %" PRId32, task.scalar_count);
    }
    if (task.scalars[0] >> 32 != 0)
    {
        return fail_with("c child: scale's scalar 0 is not a float32 zero-extended to 64 bits: 0x%016" PRIx64,
            task.scalars[0]);
    }
    const uint32_t bits = (uint32_t)task.scalars[0];
    float factor;
    memcpy(&factor, &bits, sizeof factor);
    const tensor_t *in = &task.tensors[0];
    const tensor_t *out = &task.tensors[1];
    for (uint64_t i = 0; i < out->count; i++)
    {
        put_f32(out->local + 4 * i, get_f32(in->local + 4 * i) * factor);
    }
    return ERROR_OK;
}

static int run_echo(void)
{
    if (task.tensor_count < 1)
    {
        return fail_with("c child: echo needs 1 tensor, got 0");
    }
    const tensor_t *out = &task.tensors[0];
    const uint64_t needed = ECHO_FIXED + (uint64_t)task.scalar_count;
    if (out->dtype != DTYPE_INT64 || out->local == NULL || out->count < needed)
    {
        return fail_with("c child: echo needs a non-null int64 tensor 0 of at least %" PRIu64 " elements; it has "
            "dtype %u and %" PRIu64 " elements", needed, (unsigned)out->dtype, out->count);
    }
    int64_t values[ECHO_FIXED] = {
        (int64_t)task.callable, task.block_dim, task.aicpu_thread_num, task.enable_profiling,
        task.enable_dump_tensor, task.tensor_count, task.scalar_count, out->ndims,
        out->shape[0], out->shape[1], out->shape[2], out->shape[3], out->shape[4], out->dtype
    };
    for (int i = 0; i < ECHO_FIXED; i++)
    {
        put_u64(out->local + 8 * i, (uint64_t)values[i]);
    }
    for (int i = 0; i < task.scalar_count; i++)
    {
        put_u64(out->local + 8 * (ECHO_FIXED + i), task.scalars[i]);
    }
    return ERROR_OK;
}

static int run_task(void)
{
    const int error = decode_task();
    if (error != ERROR_OK)
    {
        return error;
    }
    switch (task.callable)
    {
        case CALLABLE_ADD:
            return run_add();
        case CALLABLE_SCALE:
            return run_scale();
        case CALLABLE_FAIL:
            snprintf(message, sizeof message, "c child: callable 3 failed on purpose");
            return ERROR_CALLABLE_THREW;
        case CALLABLE_ECHO:
            return run_echo();
        default:
            return fail_with("c child: unknown callable %" PRIu64, task.callable);
    }
}

static void init_failed(const char *format, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Reports status 2 with error 99 and the message when the mailbox is mapped; exits 3 either way. */
static void init_failed(const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    vsnprintf(message, sizeof message, format, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", message);
    if (mailbox != NULL)
    {
        put_message(message);
        put_u32(mailbox + MB_ERROR, ERROR_INIT_FAILED);
        put_u32(mailbox + MB_CHILD_PID, (uint32_t)getpid());
        store_release(MB_CHILD_STATUS, CHILD_INIT_FAILED);
    }
    exit(EXIT_INIT_FAILED);
}

static unsigned char *map_file(const char *path, uint64_t *length)
{
    const int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
    {
        init_failed("c child: cannot open %s: %s", path, strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size <= 0)
    {
        init_failed("c child: cannot use %s: empty or unreadable", path);
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
    {
        init_failed("c child: cannot map %s: %s", path, strerror(errno));
    }
    *length = (uint64_t)st.st_size;
    return map;
}

static void pause_briefly(unsigned idle_polls)
{
    if (idle_polls < 1000)
    {
        sched_yield();
    }
    else
    {
        const struct timespec pause = { 0, 50 * 1000 };
        nanosleep(&pause, NULL);
    }
}

int main(int argc, char **argv)
{
    if (argc != 4)
    {
        fprintf(stderr, "usage: %s <mailbox file> <data file> <parent base address of the data file, hex>\n",
            argv[0]);
        return EXIT_USAGE;
    }
    char *end;
    errno = 0;
    parent_base = strtoull(argv[3], &end, 16);
    if (errno != 0 || end == argv[3] || *end != '\0')
    {
        fprintf(stderr, "c child: bad parent base address: %s\n", argv[3]);
        return EXIT_USAGE;
    }
    const pid_t parent = getppid();

    uint64_t mailbox_length;
    mailbox = map_file(argv[1], &mailbox_length);
    if (mailbox_length < MB_LENGTH)
    {
        mailbox = NULL; /* too short to report in */
        init_failed("c child: mailbox %s has %" PRIu64 " bytes, needs %d", argv[1], mailbox_length, MB_LENGTH);
    }
    data = map_file(argv[2], &data_length);

    put_u32(mailbox + MB_CHILD_PID, (uint32_t)getpid());
    store_release(MB_CHILD_STATUS, CHILD_READY);

    unsigned idle_polls = 0;
    for (;;)
    {
        const int32_t state = load_acquire(MB_STATE);
        switch (state)
        {
            case STATE_TASK_READY:
                finish(run_task());
                idle_polls = 0;
                break;
            case STATE_SHUTDOWN:
                return 0;
            case STATE_IDLE:
            case STATE_TASK_DONE:
                if (++idle_polls % 64 == 0 && getppid() != parent)
                {
                    fprintf(stderr, "c child %d: parent %d is gone, exiting\n", (int)getpid(), (int)parent);
                    return EXIT_PARENT_GONE;
                }
                pause_briefly(idle_polls);
                break;
            default:
                fprintf(stderr, "c child %d: corrupt mailbox state %" PRId32 ", must be 0..3\n", (int)getpid(),
                    state);
                return EXIT_CORRUPT_STATE;
        }
    }
}
