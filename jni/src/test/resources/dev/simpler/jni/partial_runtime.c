/*
 * A chip runtime library that exports only two of the six C API symbols of SPEC section 9
 * (create_device_context and set_device). ChipErrorTest compiles it with gcc and expects
 * ChipWorker.open to name exactly the four that are missing.
 */
#define EXPORT __attribute__((visibility("default")))

static int context;

EXPORT void *create_device_context(void)
{
    return &context;
}

EXPORT int set_device(void *ctx, int device_id)
{
    (void)ctx;
    return device_id < 0 ? -1 : 0;
}
