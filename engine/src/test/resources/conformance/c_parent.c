/*
 * A mailbox parent written only from the SPEC tables: §7 (mailbox), §2.2 (tensor wire record), §2.5 (args blob)
 * and §2.4 (floats travel as raw IEEE bits, zero-extended). It shares no code and no header with the Java
 * implementation; every offset and code below is copied from those tables.
 *
 * usage: c_parent <java binary> <class path> <callables class> [JVM option]...
 *
 * It creates a mailbox file and a data file (owner-only, random names, in /dev/shm or else /tmp), maps both, starts
 *   java --add-opens ... [JVM option]... -cp <class path> dev.simpler.engine.process.ChildMain
 *        --mailbox <mailbox file> --region <data file>@<hex address of this process's mapping>
 *        --callables <callables class>
 * waits for the child to report ready, sends tasks whose tensors point into ITS OWN mapping of the data file, checks
 * the results, sends SHUTDOWN, waits for the child to exit 0 and deletes both files.
 *
 * The callables class must supply, by id:
 *   0 add:      float32 tensors 0, 1 (inputs), 2 (output): t2[i] = t0[i] + t1[i]
 *   1 scale:    float32 tensors 0 (input), 1 (output), scalar 0 a float: t1[i] = t0[i] * scalar
 *   2 throw:    throws, with "java child: callable 2 failed on purpose" in the message
 *   3 describe: int64 tensor 0 receives [0] T, [1] S, [2..2+S) the scalars, then for each tensor j = 1..T-1 nine
 *               values: ndims, shape[0..4] (0 beyond ndims), dtype code, nbytes, and its address minus tensor 0's
 *               address (-1 for a null tensor)
 *   no other id.
 * Tensor data is in host byte order (little-endian here).
 *
 * Output: one line per error message received ("<label>: error <code>: <message>") and, when every check passed,
 * "c_parent: OK: <tasks> tasks, <checks> checks, child exited 0", exit status 0. Any mismatch prints
 * "c_parent: FAIL: ..." on stderr and the exit status is 1; a protocol failure (a deadline passed, the child died,
 * a corrupt state) aborts at once with status 2. Every wait has a deadline, the whole run has one (SIGALRM), and
 * on every exit path the child is killed if still running and both files are deleted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
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

#define CHILD_STARTING 0
#define CHILD_READY 1
#define CHILD_INIT_FAILED 2

#define ERROR_OK 0
#define ERROR_RUN_FAILED 1
#define ERROR_CALLABLE_THREW 2

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
#define MAX_DIMS 5

/* SPEC §2.1: data types. */
#define DTYPE_FLOAT32 0
#define DTYPE_INT32 2
#define DTYPE_UINT8 5
#define DTYPE_INT64 7

/* SPEC §2.6: the default call config. */
#define DEFAULT_BLOCK_DIM 24
#define DEFAULT_AICPU_THREAD_NUM 3

#define CALLABLE_ADD 0
#define CALLABLE_SCALE 1
#define CALLABLE_THROW 2
#define CALLABLE_DESCRIBE 3
#define DESCRIBE_PER_TENSOR 9

#define DATA_LENGTH (1024 * 1024)
#define READY_DEADLINE_MS 30000
#define TASK_DEADLINE_MS 10000
#define EXIT_DEADLINE_MS 10000
#define WHOLE_RUN_DEADLINE_S 100

#define EXIT_MISMATCH 1
#define EXIT_PROTOCOL 2

static const char *const ADD_OPENS[] = {
    "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens", "java.base/java.nio=ALL-UNNAMED",
    "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
};
#define ADD_OPENS_COUNT ((int)(sizeof ADD_OPENS / sizeof ADD_OPENS[0]))

static char mailbox_path[256];
static char data_path[256];
static unsigned char *mailbox;
static unsigned char *data;
static volatile pid_t child_pid = -1;
static int child_reaped;
static int current_tensor_count;
static int tasks;
static int checks;
static int mismatches;

/* ---- cleanup: async-signal-safe, so the SIGALRM/SIGTERM handler can use it ---- */

static void kill_child_and_delete_files(void)
{
    if (child_pid > 0 && !child_reaped)
    {
        kill(child_pid, SIGKILL);
        waitpid(child_pid, NULL, 0);
        child_reaped = 1;
    }
    if (mailbox_path[0] != '\0')
    {
        unlink(mailbox_path);
        mailbox_path[0] = '\0';
    }
    if (data_path[0] != '\0')
    {
        unlink(data_path);
        data_path[0] = '\0';
    }
}

static void on_signal(int signal_number)
{
    static const char text[] = "c_parent: FAIL: whole-run deadline passed or terminated; child killed, files deleted\n";
    kill_child_and_delete_files();
    (void)!write(STDERR_FILENO, text, sizeof text - 1);
    _exit(signal_number == SIGALRM ? EXIT_PROTOCOL : 128 + signal_number);
}

static void abort_run(const char *format, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * Writes "c_parent: FAIL: <message>" with one write, so that the child, which shares stderr, cannot print into the
 * middle of the line.
 */
static void report_failure(const char *format, va_list ap)
{
    char line[1024];
    const int prefix = snprintf(line, sizeof line, "c_parent: FAIL: ");
    int length = prefix + vsnprintf(line + prefix, sizeof line - (size_t)prefix - 1, format, ap);
    if (length > (int)sizeof line - 2)
    {
        length = (int)sizeof line - 2;
    }
    line[length++] = '\n';
    fflush(stderr);
    ssize_t written = write(STDERR_FILENO, line, (size_t)length);
    (void)written;
}

static void abort_run(const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    report_failure(format, ap);
    va_end(ap);
    kill_child_and_delete_files();
    exit(EXIT_PROTOCOL);
}

static void check(int ok, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void check(int ok, const char *format, ...)
{
    checks++;
    if (ok)
    {
        return;
    }
    mismatches++;
    va_list ap;
    va_start(ap, format);
    report_failure(format, ap);
    va_end(ap);
}

/* ---- little-endian plain fields, assembled byte by byte ---- */

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
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

static int32_t load_acquire(int offset)
{
    return __atomic_load_n((int32_t *)(mailbox + offset), __ATOMIC_ACQUIRE);
}

static void store_release(int offset, int32_t value)
{
    __atomic_store_n((int32_t *)(mailbox + offset), value, __ATOMIC_RELEASE);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pause_briefly(unsigned polls)
{
    if (polls < 1000)
    {
        sched_yield();
    }
    else
    {
        const struct timespec pause = { 0, 20 * 1000 };
        nanosleep(&pause, NULL);
    }
}

/* Aborts the run when the child has exited; reaps it. */
static void require_child_alive(const char *while_doing)
{
    int status;
    const pid_t reaped = waitpid(child_pid, &status, WNOHANG);
    if (reaped == child_pid)
    {
        child_reaped = 1;
        if (WIFEXITED(status))
        {
            abort_run("child pid %d exited with status %d %s", (int)child_pid, WEXITSTATUS(status), while_doing);
        }
        abort_run("child pid %d was killed by signal %d %s", (int)child_pid, WTERMSIG(status), while_doing);
    }
}

/* ---- files ---- */

static unsigned char *create_and_map(char *path, size_t path_size, const char *directory, const char *purpose,
    size_t length)
{
    uint64_t random[2];
    if (getrandom(random, sizeof random, 0) != (ssize_t)sizeof random)
    {
        abort_run("getrandom failed: %s", strerror(errno));
    }
    char candidate[256];
    snprintf(candidate, sizeof candidate, "%s/c_parent-%d-%s-%016" PRIx64 "%016" PRIx64, directory, (int)getpid(),
        purpose, random[0], random[1]);
    const int fd = open(candidate, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
    {
        abort_run("cannot create %s: %s", candidate, strerror(errno));
    }
    snprintf(path, path_size, "%s", candidate); /* from now on the cleanup deletes it */
    if (ftruncate(fd, (off_t)length) != 0)
    {
        close(fd);
        abort_run("cannot size %s to %zu bytes: %s", path, length, strerror(errno));
    }
    void *map = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
    {
        abort_run("cannot map %s: %s", path, strerror(errno));
    }
    return map;
}

/* ---- the child ---- */

static void start_child(int argc, char **argv)
{
    const char *java = argv[1];
    const char *class_path = argv[2];
    const char *callables = argv[3];
    const int extra = argc - 4;
    char region[512];
    snprintf(region, sizeof region, "%s@%" PRIxPTR, data_path, (uintptr_t)data);

    const int count = 1 + ADD_OPENS_COUNT + extra + 2 + 1 + 6 + 1;
    char **child_argv = calloc((size_t)count, sizeof *child_argv);
    if (child_argv == NULL)
    {
        abort_run("out of memory");
    }
    int n = 0;
    child_argv[n++] = (char *)java;
    for (int i = 0; i < ADD_OPENS_COUNT; i++)
    {
        child_argv[n++] = (char *)ADD_OPENS[i];
    }
    for (int i = 0; i < extra; i++)
    {
        child_argv[n++] = argv[4 + i];
    }
    child_argv[n++] = "-cp";
    child_argv[n++] = (char *)class_path;
    child_argv[n++] = "dev.simpler.engine.process.ChildMain";
    child_argv[n++] = "--mailbox";
    child_argv[n++] = mailbox_path;
    child_argv[n++] = "--region";
    child_argv[n++] = region;
    child_argv[n++] = "--callables";
    child_argv[n++] = (char *)callables;
    child_argv[n] = NULL;

    fflush(NULL);
    const pid_t pid = fork();
    if (pid < 0)
    {
        abort_run("fork failed: %s", strerror(errno));
    }
    if (pid == 0)
    {
        execv(java, child_argv);
        fprintf(stderr, "c_parent: FAIL: cannot exec %s: %s\n", java, strerror(errno));
        _exit(127);
    }
    child_pid = pid;
    free(child_argv);
}

static void await_ready(void)
{
    const int64_t deadline = now_ms() + READY_DEADLINE_MS;
    for (unsigned polls = 0;; polls++)
    {
        const int32_t status = load_acquire(MB_CHILD_STATUS);
        if (status == CHILD_READY)
        {
            break;
        }
        if (status == CHILD_INIT_FAILED)
        {
            const int32_t length = (int32_t)get_u32(mailbox + MB_ARGS);
            const int shown = length < 0 || length > MB_LENGTH - MB_ARGS - 4 ? 0 : length;
            abort_run("child pid %d failed to initialise: error %" PRIu32 ": %.*s", (int)child_pid,
                get_u32(mailbox + MB_ERROR), shown, (const char *)mailbox + MB_ARGS + 4);
        }
        if (status != CHILD_STARTING)
        {
            abort_run("corrupt child status %" PRId32 ", must be 0..2", status);
        }
        require_child_alive("before it reported ready");
        if (now_ms() > deadline)
        {
            abort_run("child pid %d did not report ready within %d ms", (int)child_pid, READY_DEADLINE_MS);
        }
        pause_briefly(polls);
    }
    const int32_t pid = (int32_t)get_u32(mailbox + MB_CHILD_PID);
    check(pid == child_pid, "the child wrote pid %" PRId32 " at offset 32, it is %d", pid, (int)child_pid);
}

/* ---- tasks ---- */

static void begin_task(uint64_t callable, int32_t tensor_count, int32_t scalar_count)
{
    if (load_acquire(MB_STATE) != STATE_IDLE)
    {
        abort_run("mailbox not IDLE before a task");
    }
    put_u32(mailbox + MB_ERROR, ERROR_OK);
    put_u64(mailbox + MB_CALLABLE, callable);
    put_u32(mailbox + MB_BLOCK_DIM, DEFAULT_BLOCK_DIM);
    put_u32(mailbox + MB_AICPU_THREAD_NUM, DEFAULT_AICPU_THREAD_NUM);
    put_u32(mailbox + MB_ENABLE_PROFILING, 0);
    put_u32(mailbox + MB_ENABLE_DUMP_TENSOR, 0);
    const int64_t length = BLOB_HEADER + (int64_t)TR_LENGTH * tensor_count + (int64_t)BLOB_SCALAR_LENGTH * scalar_count;
    if (length > MB_ARGS_CAPACITY)
    {
        abort_run("test bug: a blob of %" PRId64 " bytes does not fit %d", length, MB_ARGS_CAPACITY);
    }
    put_u32(mailbox + MB_ARGS + BLOB_TENSOR_COUNT, (uint32_t)tensor_count);
    put_u32(mailbox + MB_ARGS + BLOB_SCALAR_COUNT, (uint32_t)scalar_count);
    current_tensor_count = tensor_count;
}

/* Writes a whole record: unused shape entries and the padding are zero. */
static void put_tensor(int index, const void *address, uint8_t dtype, uint32_t ndims, const uint32_t *shape)
{
    unsigned char *record = mailbox + MB_ARGS + BLOB_HEADER + TR_LENGTH * index;
    memset(record, 0, TR_LENGTH);
    put_u64(record + TR_ADDRESS, (uint64_t)(uintptr_t)address);
    for (uint32_t d = 0; d < ndims; d++)
    {
        put_u32(record + TR_SHAPE + 4 * d, shape[d]);
    }
    put_u32(record + TR_NDIMS, ndims);
    record[TR_DTYPE] = dtype;
}

static void put_scalar(int index, uint64_t value)
{
    put_u64(mailbox + MB_ARGS + BLOB_HEADER + TR_LENGTH * current_tensor_count + BLOB_SCALAR_LENGTH * index, value);
}

static uint64_t float_scalar(float f)
{
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    return bits; /* zero-extended, SPEC §2.4 */
}

/* Publishes the task, waits for TASK_DONE, hands the mailbox back (IDLE) and returns the error code. */
static int32_t run_task(const char *label)
{
    store_release(MB_STATE, STATE_TASK_READY);
    const int64_t deadline = now_ms() + TASK_DEADLINE_MS;
    for (unsigned polls = 0;; polls++)
    {
        const int32_t state = load_acquire(MB_STATE);
        if (state == STATE_TASK_DONE)
        {
            break;
        }
        if (state != STATE_TASK_READY)
        {
            abort_run("%s: corrupt state %" PRId32 " while the task was in flight", label, state);
        }
        if (polls % 256 == 255)
        {
            require_child_alive("while running a task");
            if (now_ms() > deadline)
            {
                abort_run("%s: no TASK_DONE within %d ms", label, TASK_DEADLINE_MS);
            }
        }
        pause_briefly(polls);
    }
    const int32_t error = (int32_t)get_u32(mailbox + MB_ERROR);
    tasks++;
    return error;
}

static void finish_task(void)
{
    store_release(MB_STATE, STATE_IDLE);
}

/* Reads the failure message ([i32 length][UTF-8 bytes] in the args area), prints it and hands the mailbox back. */
static void take_failure(const char *label, int32_t error, char *message, size_t size)
{
    const int32_t length = (int32_t)get_u32(mailbox + MB_ARGS);
    check(length >= 0 && length <= MB_LENGTH - MB_ARGS - 4, "%s: message length %" PRId32 " out of range", label,
        length);
    const size_t n = length < 0 ? 0 : (size_t)length < size - 1 ? (size_t)length : size - 1;
    memcpy(message, mailbox + MB_ARGS + 4, n);
    message[n] = '\0';
    finish_task();
    printf("%s: error %" PRId32 ": %s\n", label, error, message);
}

static float *floats(size_t byte_offset)
{
    return (float *)(data + byte_offset);
}

static int64_t *longs(size_t byte_offset)
{
    return (int64_t *)(data + byte_offset);
}

static void add_tasks(void)
{
    for (int t = 0; t < 50; t++)
    {
        const uint32_t rows = 1 + (uint32_t)t % 4;
        const uint32_t columns = 1 + ((uint32_t)t * 53) % 300;
        const uint32_t n = rows * columns;
        const size_t a = 64 * (size_t)t;
        const size_t b = 256 * 1024 + 16 * (size_t)t;
        const size_t out = 512 * 1024 + 8 * (size_t)t;
        for (uint32_t i = 0; i < n; i++)
        {
            floats(a)[i] = (float)i * 0.75f - (float)t;
            floats(b)[i] = 1.0f / (float)(i + 1) + (float)t * 0.125f;
            floats(out)[i] = -12345.0f;
        }
        const uint32_t flat[] = { n };
        const uint32_t matrix[] = { rows, columns };
        const uint32_t cube[] = { rows, 1, columns };
        begin_task(CALLABLE_ADD, 3, 0);
        put_tensor(0, floats(a), DTYPE_FLOAT32, 1, flat);
        put_tensor(1, floats(b), DTYPE_FLOAT32, 2, matrix);
        put_tensor(2, floats(out), DTYPE_FLOAT32, 3, cube);
        const int32_t error = run_task("add");
        if (error != ERROR_OK)
        {
            char message[MB_LENGTH];
            take_failure("add", error, message, sizeof message);
            check(0, "add task %d failed with error %" PRId32, t, error);
            continue;
        }
        finish_task();
        int wrong = 0;
        for (uint32_t i = 0; i < n; i++)
        {
            wrong += floats(out)[i] != floats(a)[i] + floats(b)[i];
        }
        check(wrong == 0, "add task %d: %d of %" PRIu32 " sums wrong", t, wrong, n);
    }
}

static void scale_task(void)
{
    const float factor = -2.5f;
    const uint32_t n = 777;
    const size_t in = 0;
    const size_t out = 8192;
    for (uint32_t i = 0; i < n; i++)
    {
        floats(in)[i] = (float)i * 0.3f - 100.0f;
        floats(out)[i] = 0.0f;
    }
    const uint32_t flat[] = { n };
    const uint32_t matrix[] = { 7, 111 };
    begin_task(CALLABLE_SCALE, 2, 1);
    put_tensor(0, floats(in), DTYPE_FLOAT32, 1, flat);
    put_tensor(1, floats(out), DTYPE_FLOAT32, 2, matrix);
    put_scalar(0, float_scalar(factor));
    const int32_t error = run_task("scale");
    check(error == ERROR_OK, "scale failed with error %" PRId32, error);
    finish_task();
    int wrong = 0;
    for (uint32_t i = 0; i < n; i++)
    {
        wrong += floats(out)[i] != floats(in)[i] * factor;
    }
    check(wrong == 0, "scale: %d of %" PRIu32 " products wrong", wrong, n);
}

static void check_described_tensor(const int64_t *values, int j, uint32_t ndims, const uint32_t *shape,
    uint8_t dtype, int64_t nbytes, int64_t offset_from_tensor0)
{
    check(values[0] == ndims, "describe: tensor %d ndims %" PRId64 ", sent %" PRIu32, j, values[0], ndims);
    for (uint32_t d = 0; d < MAX_DIMS; d++)
    {
        const int64_t expected = d < ndims ? shape[d] : 0;
        check(values[1 + d] == expected, "describe: tensor %d shape[%" PRIu32 "] %" PRId64 ", sent %" PRId64, j, d,
            values[1 + d], expected);
    }
    check(values[6] == dtype, "describe: tensor %d dtype %" PRId64 ", sent %u", j, values[6], (unsigned)dtype);
    check(values[7] == nbytes, "describe: tensor %d nbytes %" PRId64 ", expected %" PRId64, j, values[7], nbytes);
    check(values[8] == offset_from_tensor0, "describe: tensor %d address offset %" PRId64 ", sent %" PRId64, j,
        values[8], offset_from_tensor0);
}

/* Tensor records (shapes, dtypes, a null tensor, relative addresses) and 64-bit scalars cross unchanged. */
static void describe_task(void)
{
    const size_t out = 600 * 1024;
    const size_t ints = out + 4096;
    const size_t bytes = out + 8192 + 8;
    const uint64_t scalars[] = {
        UINT64_C(0x8877665544332211), UINT64_MAX, 0, UINT64_C(0x8000000000000000), float_scalar(-0.0f)
    };
    const int scalar_count = (int)(sizeof scalars / sizeof scalars[0]);
    const uint32_t out_shape[] = { 64 };
    const uint32_t int_shape[] = { 2, 3, 4 };
    const uint32_t byte_shape[] = { 1, 2, 1, 3, 1 };
    const uint32_t null_shape[] = { 5 };
    memset(data + out, 0x5a, 64 * 8);

    begin_task(CALLABLE_DESCRIBE, 4, scalar_count);
    put_tensor(0, longs(out), DTYPE_INT64, 1, out_shape);
    put_tensor(1, data + ints, DTYPE_INT32, 3, int_shape);
    put_tensor(2, data + bytes, DTYPE_UINT8, 5, byte_shape);
    put_tensor(3, NULL, DTYPE_FLOAT32, 1, null_shape);
    for (int i = 0; i < scalar_count; i++)
    {
        put_scalar(i, scalars[i]);
    }
    const int32_t error = run_task("describe");
    if (error != ERROR_OK)
    {
        char message[MB_LENGTH];
        take_failure("describe", error, message, sizeof message);
        check(0, "describe failed with error %" PRId32, error);
        return;
    }
    finish_task();
    const int64_t *values = longs(out);
    check(values[0] == 4, "describe: tensor count %" PRId64 ", sent 4", values[0]);
    check(values[1] == scalar_count, "describe: scalar count %" PRId64 ", sent %d", values[1], scalar_count);
    for (int i = 0; i < scalar_count; i++)
    {
        check((uint64_t)values[2 + i] == scalars[i], "describe: scalar %d is 0x%016" PRIx64 ", sent 0x%016" PRIx64,
            i, (uint64_t)values[2 + i], scalars[i]);
    }
    const int64_t *tensors = values + 2 + scalar_count;
    check_described_tensor(tensors, 1, 3, int_shape, DTYPE_INT32, 2 * 3 * 4 * 4, (int64_t)(ints - out));
    check_described_tensor(tensors + DESCRIBE_PER_TENSOR, 2, 5, byte_shape, DTYPE_UINT8, 6, (int64_t)(bytes - out));
    check_described_tensor(tensors + 2 * DESCRIBE_PER_TENSOR, 3, 1, null_shape, DTYPE_FLOAT32, 20, -1);
}

static uint64_t full_blob_scalar(int i)
{
    return (UINT64_C(0x0101010101010101) * (uint64_t)(i % 256)) ^ ((uint64_t)i << 40);
}

/* A blob of exactly the args capacity: one tensor and as many scalars as fit. */
static void full_blob_task(void)
{
    const int scalar_count = (MB_ARGS_CAPACITY - BLOB_HEADER - TR_LENGTH) / BLOB_SCALAR_LENGTH;
    const size_t out = 700 * 1024;
    const uint32_t out_shape[] = { (uint32_t)(2 + scalar_count) };
    begin_task(CALLABLE_DESCRIBE, 1, scalar_count);
    put_tensor(0, longs(out), DTYPE_INT64, 1, out_shape);
    for (int i = 0; i < scalar_count; i++)
    {
        put_scalar(i, full_blob_scalar(i));
    }
    const int32_t error = run_task("full blob");
    check(error == ERROR_OK, "full blob: error %" PRId32, error);
    finish_task();
    const int64_t *values = longs(out);
    check(values[0] == 1 && values[1] == scalar_count, "full blob: counts %" PRId64 ", %" PRId64 ", sent 1, %d",
        values[0], values[1], scalar_count);
    int wrong = 0;
    for (int i = 0; i < scalar_count; i++)
    {
        wrong += (uint64_t)values[2 + i] != full_blob_scalar(i);
    }
    check(wrong == 0, "full blob: %d of %d scalars wrong", wrong, scalar_count);
}

static void throwing_task(void)
{
    char message[MB_LENGTH];
    begin_task(CALLABLE_THROW, 0, 0);
    const int32_t error = run_task("callable 2");
    take_failure("callable 2", error, message, sizeof message);
    check(error == ERROR_CALLABLE_THREW, "callable 2: error %" PRId32 ", expected 2", error);
    check(strstr(message, "java child: callable 2 failed on purpose") != NULL,
        "callable 2: message does not carry the exception's text: %s", message);
}

static void unknown_task(uint64_t callable, const char *label)
{
    char message[MB_LENGTH];
    begin_task(callable, 0, 0);
    const int32_t error = run_task(label);
    take_failure(label, error, message, sizeof message);
    check(error == ERROR_RUN_FAILED, "%s: error %" PRId32 ", expected 1", label, error);
    check(message[0] != '\0', "%s: empty message", label);
}

/* A tensor in no file the child mapped: the task must fail (error 1), never crash the child. */
static void unreachable_tensor_task(void)
{
    char message[MB_LENGTH];
    const uint32_t shape[] = { 4 };
    begin_task(CALLABLE_SCALE, 2, 1);
    put_tensor(0, data + DATA_LENGTH - 8, DTYPE_FLOAT32, 1, shape);
    put_tensor(1, data, DTYPE_FLOAT32, 1, shape);
    put_scalar(0, float_scalar(1.0f));
    const int32_t error = run_task("tensor outside the data file");
    take_failure("tensor outside the data file", error, message, sizeof message);
    check(error == ERROR_RUN_FAILED, "tensor outside the data file: error %" PRId32 ", expected 1", error);
}

static void shutdown_child(void)
{
    if (load_acquire(MB_STATE) != STATE_IDLE)
    {
        abort_run("mailbox not IDLE before SHUTDOWN");
    }
    store_release(MB_STATE, STATE_SHUTDOWN);
    const int64_t deadline = now_ms() + EXIT_DEADLINE_MS;
    int status;
    for (;;)
    {
        const pid_t reaped = waitpid(child_pid, &status, WNOHANG);
        if (reaped == child_pid)
        {
            child_reaped = 1;
            break;
        }
        if (reaped < 0)
        {
            abort_run("waitpid failed: %s", strerror(errno));
        }
        if (now_ms() > deadline)
        {
            abort_run("child pid %d did not exit within %d ms of SHUTDOWN", (int)child_pid, EXIT_DEADLINE_MS);
        }
        const struct timespec pause = { 0, 1000 * 1000 };
        nanosleep(&pause, NULL);
    }
    check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child exited with %s %d after SHUTDOWN, expected status 0",
        WIFEXITED(status) ? "status" : "signal", WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

int main(int argc, char **argv)
{
    if (argc < 4)
    {
        fprintf(stderr, "usage: %s <java binary> <class path> <callables class> [JVM option]...\n", argv[0]);
        return EXIT_PROTOCOL;
    }
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigaction(SIGALRM, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    alarm(WHOLE_RUN_DEADLINE_S);

    struct stat st;
    const char *directory = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp";
    mailbox = create_and_map(mailbox_path, sizeof mailbox_path, directory, "mailbox", MB_LENGTH);
    data = create_and_map(data_path, sizeof data_path, directory, "data", DATA_LENGTH);
    printf("c_parent: files %s %s\n", mailbox_path, data_path);

    start_child(argc, argv);
    await_ready();

    add_tasks();
    scale_task();
    describe_task();
    full_blob_task();
    throwing_task();
    unknown_task(7, "callable 7");
    unknown_task(UINT64_C(0x100000000), "callable 2^32");
    unreachable_tensor_task();
    add_tasks(); /* the child still works after failed tasks */
    shutdown_child();

    munmap(mailbox, MB_LENGTH);
    munmap(data, DATA_LENGTH);
    mailbox = NULL;
    data = NULL;
    const int mailbox_deleted = unlink(mailbox_path) == 0;
    const int data_deleted = unlink(data_path) == 0;
    mailbox_path[0] = '\0';
    data_path[0] = '\0';
    check(mailbox_deleted && data_deleted, "could not delete the shared files: %s", strerror(errno));

    if (mismatches != 0)
    {
        fprintf(stderr, "c_parent: FAIL: %d of %d checks failed over %d tasks\n", mismatches, checks, tasks);
        return EXIT_MISMATCH;
    }
    printf("c_parent: OK: %d tasks, %d checks, child exited 0\n", tasks, checks);
    return 0;
}
