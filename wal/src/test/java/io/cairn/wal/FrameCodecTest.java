package io.cairn.wal;

import static io.cairn.wal.Opened.sized;
import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.wal.FrameCodec.Damage;
import io.cairn.wal.FrameCodec.Frame;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class FrameCodecTest {
    private static final int AT = SegmentFile.HEADER_BYTES;

    private final FrameCodec codec = new FrameCodec();

    @Test
    void decodesWhatItEncoded() {
        WalRecord record = sized(7, 42, 100);
        ByteBuffer segment = segmentWith(record);

        Frame frame = (Frame) codec.decode(segment, AT, segment.limit());

        assertThat(frame.record()).isEqualTo(record);
        assertThat(frame.writeStart()).isEqualTo(AT);
        assertThat(frame.end() - frame.offset()).isEqualTo(FrameCodec.frameBytes(record)).isEqualTo(133);
    }

    @Test
    void aDamagedLengthIsNotTrusted() {
        ByteBuffer segment = segmentWith(sized(1, 1, 10));
        segment.put(AT + 3, (byte) (segment.get(AT + 3) ^ 1));

        Damage damage = (Damage) codec.decode(segment, AT, segment.limit());

        assertThat(damage.reason()).isEqualTo("length check mismatch");
        assertThat(damage.resumeAt()).isEqualTo(AT + 1);
    }

    @Test
    void zerosAreNotAFrame() {
        ByteBuffer zeros = ByteBuffer.allocate(AT + 64);

        Damage damage = (Damage) codec.decode(zeros, AT, zeros.limit());

        assertThat(damage.reason()).isEqualTo("length check mismatch");
    }

    @Test
    void aFrameCutShortReachesPastTheEnd() {
        ByteBuffer segment = segmentWith(sized(1, 1, 10));

        Damage damage = (Damage) codec.decode(segment, AT, segment.limit() - 1);

        assertThat(damage.reason()).contains("extends past the end");
        assertThat(damage.resumeAt()).isEqualTo(segment.limit() - 1);
    }

    @Test
    void aDamagedBodyFailsTheChecksumButKeepsItsTrustedEnd() {
        ByteBuffer segment = segmentWith(sized(1, 1, 10));
        int last = segment.limit() - 1;
        segment.put(last, (byte) (segment.get(last) ^ 0x10));

        Damage damage = (Damage) codec.decode(segment, AT, segment.limit());

        assertThat(damage.reason()).isEqualTo("checksum mismatch");
        assertThat(damage.resumeAt()).isEqualTo(segment.limit());
    }

    private ByteBuffer segmentWith(WalRecord record) {
        ByteBuffer segment = ByteBuffer.allocate(AT + FrameCodec.frameBytes(record));
        segment.position(AT);
        codec.encode(record, AT, segment);
        return segment.flip();
    }
}
