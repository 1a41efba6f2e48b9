/*
 * JNI binding between dev.simpler.jni.NativeRuntime and a chip runtime library exporting the C API of
 * SPEC section 9. It owns one runtime per handle: the dlopen'ed library, its device context and its runtime
 * buffer. Java builds the chip-args record and passes its address; before a run this file checks that every
 * tensor of the record can be read, and written where the kernel writes it (the runtime's optional
 * simpler_kernel_outputs says which), so a bad address fails the run instead of crashing the JVM.
 *
 * Handles are pointers to struct runtime; Java guarantees they are live (ChipWorker never uses a closed one).
 */
#define _GNU_SOURCE
#include <jni.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

/* The chip-args record (mirrors dev.simpler.mailbox.ChipArgsDescriptor). */
#define TENSOR_RECORD_LENGTH 40
#define MAX_TENSORS 16
#define TENSOR_COUNT_OFFSET 1664
#define TENSOR_NDIMS_OFFSET 28
#define TENSOR_SHAPE_OFFSET 8
#define TENSOR_DTYPE_OFFSET 32

/* Codes this binding returns itself, below any the runtime uses. */
#define CODE_INACCESSIBLE_TENSOR (-100001)
#define CODE_NO_KERNEL_TABLE (-100002)
#define CODE_BAD_KERNEL (-100003)

#define RUNTIME_MAGIC 0x53494d504c455254ULL

typedef void *(*create_device_context_fn)(void);
typedef void (*destroy_device_context_fn)(void *);
typedef size_t (*get_runtime_size_fn)(void);
typedef int (*set_device_fn)(void *, int);
typedef int (*run_runtime_fn)(void *, void *, const void *, const void *, int, int, int,
    const uint8_t *, size_t, const uint8_t *, size_t, int, int);
typedef int (*finalize_device_fn)(void *);
typedef int (*kernel_count_fn)(void);
typedef const char *(*kernel_name_fn)(int);
typedef const char *(*last_error_fn)(void);

struct access_batch;

struct runtime
{
    uint64_t magic;
    void *library;
    create_device_context_fn create_device_context;
    destroy_device_context_fn destroy_device_context;
    get_runtime_size_fn get_runtime_size;
    set_device_fn set_device;
    run_runtime_fn run_runtime;
    finalize_device_fn finalize_device;
    kernel_count_fn kernel_count;
    kernel_name_fn kernel_name;
    last_error_fn last_error;
    unsigned (*kernel_outputs)(int);
    void *context;
    void *runtime_buffer;
    struct access_batch *access;
    char error[512];
};

static void throw_new(JNIEnv *env, const char *class_name, const char *message)
{
    jclass type = (*env)->FindClass(env, class_name);
    if (type != NULL)
    {
        (*env)->ThrowNew(env, type, message);
    }
}

static struct runtime *from_handle(JNIEnv *env, jlong handle)
{
    struct runtime *rt = (struct runtime *)(intptr_t)handle;
    if (rt == NULL || rt->magic != RUNTIME_MAGIC)
    {
        throw_new(env, "java/lang/IllegalStateException", "invalid or closed chip runtime handle");
        return NULL;
    }
    return rt;
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const uint8_t *p)
{
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

static const int ELEMENT_SIZES[] = {4, 2, 4, 2, 1, 1, 2, 8, 8};

/*
 * Access check of the tensors of a run, without touching their memory from this thread: the kernel reads one
 * byte of every page of every tensor through process_vm_readv, and writes the same byte back through
 * process_vm_writev for the tensors the runtime writes. Memory that is unmapped, inaccessible or (for outputs)
 * read-only makes the call come up short, and the first short page names the tensor, instead of a fault that
 * would take the JVM down.
 */
#define ACCESS_BATCH 512

struct access_batch
{
    struct iovec local[ACCESS_BATCH];
    struct iovec remote[ACCESS_BATCH];
    struct iovec local_out[ACCESS_BATCH];
    struct iovec remote_out[ACCESS_BATCH];
    int tensor[ACCESS_BATCH];
    int tensor_out[ACCESS_BATCH];
    unsigned char bytes[ACCESS_BATCH];
    int count;
};

static int flush_access(struct runtime *rt, struct access_batch *batch, unsigned outputs)
{
    if (batch->count == 0)
    {
        return 0;
    }
    const pid_t self = getpid();
    const ssize_t read = process_vm_readv(self, batch->local, (unsigned long)batch->count, batch->remote,
        (unsigned long)batch->count, 0);
    if (read < batch->count)
    {
        const int failed = batch->tensor[read < 0 ? 0 : read];
        snprintf(rt->error, sizeof(rt->error), "tensor %d is not readable memory (page at 0x%llx)", failed,
            (unsigned long long)(uintptr_t)batch->remote[read < 0 ? 0 : read].iov_base);
        batch->count = 0;
        return -1;
    }
    int writes = 0;
    for (int i = 0; i < batch->count; i++)
    {
        if (outputs & (1u << batch->tensor[i]))
        {
            batch->local_out[writes] = batch->local[i];
            batch->remote_out[writes] = batch->remote[i];
            batch->tensor_out[writes] = batch->tensor[i];
            writes++;
        }
    }
    batch->count = 0;
    if (writes == 0)
    {
        return 0;
    }
    const ssize_t written = process_vm_writev(self, batch->local_out, (unsigned long)writes, batch->remote_out,
        (unsigned long)writes, 0);
    if (written < writes)
    {
        const int failed = batch->tensor_out[written < 0 ? 0 : written];
        snprintf(rt->error, sizeof(rt->error), "tensor %d is written by the kernel but is not writable memory "
            "(page at 0x%llx)", failed,
            (unsigned long long)(uintptr_t)batch->remote_out[written < 0 ? 0 : written].iov_base);
        return -1;
    }
    return 0;
}

static int check_access(struct runtime *rt, const uint8_t *record, int32_t tensor_count, unsigned outputs)
{
    static long page_size;
    if (page_size == 0)
    {
        page_size = sysconf(_SC_PAGESIZE);
    }
    struct access_batch *batch = rt->access;
    batch->count = 0;
    for (int32_t i = 0; i < tensor_count && i < MAX_TENSORS; i++)
    {
        const uint8_t *tensor = record + i * TENSOR_RECORD_LENGTH;
        const uint64_t address = get_u64(tensor);
        const uint32_t ndims = get_u32(tensor + TENSOR_NDIMS_OFFSET);
        const uint8_t dtype = tensor[TENSOR_DTYPE_OFFSET];
        if (address == 0 || ndims < 1 || ndims > 5 || dtype > 8)
        {
            continue; /* the runtime validates these and reports them */
        }
        uint64_t nbytes = (uint64_t)ELEMENT_SIZES[dtype];
        for (uint32_t d = 0; d < ndims; d++)
        {
            nbytes *= get_u32(tensor + TENSOR_SHAPE_OFFSET + 4 * d);
        }
        if (nbytes == 0)
        {
            continue;
        }
        if (address + nbytes < address)
        {
            snprintf(rt->error, sizeof(rt->error), "tensor %d wraps around the address space", (int)i);
            return -1;
        }
        const uint64_t end = address + nbytes;
        for (uint64_t byte = address; byte < end;
             byte = (byte & ~(uint64_t)(page_size - 1)) + (uint64_t)page_size)
        {
            const int slot = batch->count++;
            batch->local[slot].iov_base = &batch->bytes[slot];
            batch->local[slot].iov_len = 1;
            batch->remote[slot].iov_base = (void *)(uintptr_t)byte;
            batch->remote[slot].iov_len = 1;
            batch->tensor[slot] = (int)i;
            if (batch->count == ACCESS_BATCH && flush_access(rt, batch, outputs) != 0)
            {
                return -1;
            }
        }
    }
    return flush_access(rt, batch, outputs);
}

EXPORT JNIEXPORT jlong JNICALL Java_dev_simpler_jni_NativeRuntime_open(JNIEnv *env, jclass type, jstring path)
{
    (void)type;
    const char *library_path = (*env)->GetStringUTFChars(env, path, NULL);
    if (library_path == NULL)
    {
        return 0;
    }
    dlerror();
    void *library = dlopen(library_path, RTLD_NOW | RTLD_LOCAL);
    if (library == NULL)
    {
        char message[1024];
        snprintf(message, sizeof(message), "cannot load chip runtime library %s: %s", library_path, dlerror());
        (*env)->ReleaseStringUTFChars(env, path, library_path);
        throw_new(env, "java/lang/IllegalArgumentException", message);
        return 0;
    }
    struct runtime *rt = calloc(1, sizeof(struct runtime));
    if (rt == NULL)
    {
        dlclose(library);
        (*env)->ReleaseStringUTFChars(env, path, library_path);
        throw_new(env, "java/lang/OutOfMemoryError", "chip runtime handle");
        return 0;
    }
    rt->library = library;
    char missing[512] = "";
#define RESOLVE(field, symbol)                                                   \
    do                                                                           \
    {                                                                            \
        *(void **)(&rt->field) = dlsym(library, symbol);                         \
        if (rt->field == NULL)                                                   \
        {                                                                        \
            if (missing[0] != '\0')                                              \
            {                                                                    \
                strncat(missing, ", ", sizeof(missing) - strlen(missing) - 1);   \
            }                                                                    \
            strncat(missing, symbol, sizeof(missing) - strlen(missing) - 1);     \
        }                                                                        \
    } while (0)
    RESOLVE(create_device_context, "create_device_context");
    RESOLVE(destroy_device_context, "destroy_device_context");
    RESOLVE(get_runtime_size, "get_runtime_size");
    RESOLVE(set_device, "set_device");
    RESOLVE(run_runtime, "run_runtime");
    RESOLVE(finalize_device, "finalize_device");
#undef RESOLVE
    if (missing[0] != '\0')
    {
        char message[1024];
        snprintf(message, sizeof(message), "chip runtime library %s lacks the C API symbol(s): %s",
            library_path, missing);
        dlclose(library);
        free(rt);
        (*env)->ReleaseStringUTFChars(env, path, library_path);
        throw_new(env, "java/lang/IllegalArgumentException", message);
        return 0;
    }
    *(void **)(&rt->kernel_count) = dlsym(library, "simpler_kernel_count");
    *(void **)(&rt->kernel_name) = dlsym(library, "simpler_kernel_name");
    *(void **)(&rt->last_error) = dlsym(library, "simpler_last_error");
    *(void **)(&rt->kernel_outputs) = dlsym(library, "simpler_kernel_outputs");
    rt->access = malloc(sizeof(struct access_batch));

    rt->context = rt->create_device_context();
    const size_t runtime_size = rt->get_runtime_size();
    rt->runtime_buffer = calloc(1, runtime_size == 0 ? 1 : runtime_size);
    if (rt->context == NULL || rt->runtime_buffer == NULL || rt->access == NULL)
    {
        char message[1024];
        snprintf(message, sizeof(message), "chip runtime library %s could not create a device context", library_path);
        if (rt->context != NULL)
        {
            rt->destroy_device_context(rt->context);
        }
        free(rt->runtime_buffer);
        free(rt->access);
        dlclose(library);
        free(rt);
        (*env)->ReleaseStringUTFChars(env, path, library_path);
        throw_new(env, "java/lang/IllegalStateException", message);
        return 0;
    }
    rt->magic = RUNTIME_MAGIC;
    (*env)->ReleaseStringUTFChars(env, path, library_path);
    return (jlong)(intptr_t)rt;
}

EXPORT JNIEXPORT void JNICALL Java_dev_simpler_jni_NativeRuntime_close(JNIEnv *env, jclass type, jlong handle)
{
    (void)type;
    struct runtime *rt = from_handle(env, handle);
    if (rt == NULL)
    {
        return;
    }
    rt->magic = 0;
    rt->destroy_device_context(rt->context);
    free(rt->runtime_buffer);
    free(rt->access);
    dlclose(rt->library);
    free(rt);
}

EXPORT JNIEXPORT jint JNICALL Java_dev_simpler_jni_NativeRuntime_kernelCount(JNIEnv *env, jclass type, jlong handle)
{
    (void)type;
    struct runtime *rt = from_handle(env, handle);
    if (rt == NULL)
    {
        return 0;
    }
    if (rt->kernel_count == NULL || rt->kernel_name == NULL)
    {
        return -1;
    }
    return rt->kernel_count();
}

EXPORT JNIEXPORT jstring JNICALL Java_dev_simpler_jni_NativeRuntime_kernelName(
    JNIEnv *env, jclass type, jlong handle, jint index)
{
    (void)type;
    struct runtime *rt = from_handle(env, handle);
    if (rt == NULL || rt->kernel_name == NULL)
    {
        return NULL;
    }
    const char *name = rt->kernel_name(index);
    return name == NULL ? NULL : (*env)->NewStringUTF(env, name);
}

EXPORT JNIEXPORT jint JNICALL Java_dev_simpler_jni_NativeRuntime_setDevice(
    JNIEnv *env, jclass type, jlong handle, jint device)
{
    (void)type;
    struct runtime *rt = from_handle(env, handle);
    if (rt == NULL)
    {
        return 0;
    }
    rt->error[0] = '\0';
    return rt->set_device(rt->context, device);
}

EXPORT JNIEXPORT jint JNICALL Java_dev_simpler_jni_NativeRuntime_finalizeDevice(JNIEnv *env, jclass type, jlong handle)
{
    (void)type;
    struct runtime *rt = from_handle(env, handle);
    if (rt == NULL)
    {
        return 0;
    }
    rt->error[0] = '\0';
    return rt->finalize_device(rt->context);
}

EXPORT JNIEXPORT jint JNICALL Java_dev_simpler_jni_NativeRuntime_run(
    JNIEnv *env, jclass type, jlong handle, jint kernel, jlong args, jint block_dim, jint aicpu_thread_num,
    jint device, jboolean enable_profiling, jboolean enable_dump_tensor)
{
    (void)type;
    struct runtime *rt = from_handle(env, handle);
    if (rt == NULL)
    {
        return 0;
    }
    rt->error[0] = '\0';
    if (rt->kernel_name == NULL)
    {
        snprintf(rt->error, sizeof(rt->error), "the runtime does not list its kernels (simpler_kernel_name)");
        return CODE_NO_KERNEL_TABLE;
    }
    const char *name = rt->kernel_name(kernel);
    if (name == NULL)
    {
        snprintf(rt->error, sizeof(rt->error), "the runtime has no kernel with index %d", (int)kernel);
        return CODE_BAD_KERNEL;
    }
    const uint8_t *record = (const uint8_t *)(intptr_t)args;
    const int32_t tensor_count = (int32_t)get_u32(record + TENSOR_COUNT_OFFSET);
    const unsigned outputs = rt->kernel_outputs == NULL ? 0u : rt->kernel_outputs(kernel);
    if (check_access(rt, record, tensor_count, outputs) != 0)
    {
        return CODE_INACCESSIBLE_TENSOR;
    }
    return rt->run_runtime(rt->context, rt->runtime_buffer, name, record, block_dim, aicpu_thread_num, device,
        NULL, 0, NULL, 0, enable_profiling ? 1 : 0, enable_dump_tensor ? 1 : 0);
}

EXPORT JNIEXPORT jstring JNICALL Java_dev_simpler_jni_NativeRuntime_lastError(JNIEnv *env, jclass type, jlong handle)
{
    (void)type;
    struct runtime *rt = from_handle(env, handle);
    if (rt == NULL)
    {
        return NULL;
    }
    if (rt->error[0] != '\0')
    {
        return (*env)->NewStringUTF(env, rt->error);
    }
    const char *text = rt->last_error == NULL ? NULL : rt->last_error();
    return (*env)->NewStringUTF(env, text == NULL || text[0] == '\0' ? "no detail from the runtime" : text);
}
