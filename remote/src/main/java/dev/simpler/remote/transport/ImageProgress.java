package dev.simpler.remote.transport;

import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.status.CountersReader;

import io.aeron.Image;

/**
 * How far the bytes of one image (a peer's stream, as this process receives it) have arrived: the receiver's
 * high-water mark, which the media driver keeps as a counter. Bytes arriving are a sign of life as good as a
 * heartbeat: a heartbeat travels in the stream behind the data sent before it, so while a large transfer is
 * delivered slowly (a busy receiver, losses being repaired) the heartbeat behind it cannot be read, yet the peer
 * is plainly there. The session timeouts of both sides count either as hearing from the peer.
 *
 * <p>Read by one thread at a time (whoever watches the session); the counter is looked up once and checked to
 * still belong to the image at every read, since the driver reuses the ids of freed counters.
 */
public final class ImageProgress
{
    /** Aeron's type of the receiver high-water mark counter ({@code io.aeron.driver.status.ReceiverHwm}). */
    static final int RECEIVER_HWM_TYPE_ID = 3;
    private static final int REGISTRATION_ID_OFFSET = 0;
    private static final int SESSION_ID_OFFSET = 8;
    private static final int STREAM_ID_OFFSET = 12;

    private final CountersReader counters;
    private final long registrationId;
    private final int sessionId;
    private final int streamId;
    private int counterId = CountersReader.NULL_COUNTER_ID;
    private long lastValue = Long.MIN_VALUE;

    /**
     * Watch an image.
     *
     * @param counters the counters of the process's media driver.
     * @param image    the image.
     * @param streamId the stream the image belongs to.
     */
    public ImageProgress(final CountersReader counters, final Image image, final int streamId)
    {
        this.counters = counters;
        this.registrationId = image.correlationId();
        this.sessionId = image.sessionId();
        this.streamId = streamId;
    }

    /**
     * Whether bytes arrived since the last call (the first call that finds the counter only notes where it is).
     *
     * @return true when the high-water mark moved.
     */
    public boolean advanced()
    {
        if (!belongsToImage(counterId))
        {
            counterId = find();
            if (counterId == CountersReader.NULL_COUNTER_ID)
            {
                return false;
            }
        }
        final long value = counters.getCounterValue(counterId);
        final boolean moved = lastValue != Long.MIN_VALUE && value != lastValue;
        lastValue = value;
        return moved;
    }

    private boolean belongsToImage(final int id)
    {
        if (id == CountersReader.NULL_COUNTER_ID
            || counters.getCounterState(id) != CountersReader.RECORD_ALLOCATED
            || counters.getCounterTypeId(id) != RECEIVER_HWM_TYPE_ID)
        {
            return false;
        }
        final AtomicBuffer metaData = counters.metaDataBuffer();
        final int key = CountersReader.metaDataOffset(id) + CountersReader.KEY_OFFSET;
        return metaData.getLong(key + REGISTRATION_ID_OFFSET) == registrationId
            && metaData.getInt(key + SESSION_ID_OFFSET) == sessionId
            && metaData.getInt(key + STREAM_ID_OFFSET) == streamId;
    }

    private int find()
    {
        for (int id = 0, max = counters.maxCounterId(); id <= max; id++)
        {
            final int state = counters.getCounterState(id);
            if (state == CountersReader.RECORD_UNUSED)
            {
                // Counters are allocated from the start: past the first never used, none is.
                break;
            }
            if (belongsToImage(id))
            {
                return id;
            }
        }
        return CountersReader.NULL_COUNTER_ID;
    }
}
