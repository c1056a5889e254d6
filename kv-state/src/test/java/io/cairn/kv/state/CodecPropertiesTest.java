package io.cairn.kv.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.common.Bytes;
import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

class CodecPropertiesTest {

    @Property(tries = 500)
    void everyEnvelopeRoundTrips(@ForAll("envelopes") CommandEnvelope envelope) {
        Bytes encoded = envelope.encode();

        assertThat(CommandEnvelope.decode(encoded)).isEqualTo(envelope);
    }

    @Property(tries = 500)
    void everyResultRoundTrips(@ForAll("results") Result result) {
        assertThat(Result.decode(result.encode())).isEqualTo(result);
    }

    @Property(tries = 200)
    void everyTruncationOfAnEnvelopeIsRejected(@ForAll("envelopes") CommandEnvelope envelope) {
        byte[] full = envelope.encode().toArray();
        for (int length = 0; length < full.length; length++) {
            Bytes prefix = Bytes.copyOf(full, 0, length);
            assertThatThrownBy(() -> CommandEnvelope.decode(prefix)).isInstanceOf(CodecException.class);
        }
    }

    @Property(tries = 200)
    void everyTruncationOfAResultIsRejected(@ForAll("results") Result result) {
        byte[] full = result.encode().toArray();
        for (int length = 0; length < full.length; length++) {
            Bytes prefix = Bytes.copyOf(full, 0, length);
            assertThatThrownBy(() -> Result.decode(prefix)).isInstanceOf(CodecException.class);
        }
    }

    @Property(tries = 200)
    void aTrailingByteIsRejected(@ForAll("envelopes") CommandEnvelope envelope, @ForAll byte extra) {
        byte[] full = envelope.encode().toArray();
        byte[] longer = Arrays.copyOf(full, full.length + 1);
        longer[full.length] = extra;

        assertThatThrownBy(() -> CommandEnvelope.decode(Bytes.wrap(longer)))
                .isInstanceOf(CodecException.class).hasMessageContaining("trailing");
    }

    @Property(tries = 200)
    void anUnknownVersionIsRejectedNamingIt(@ForAll("envelopes") CommandEnvelope envelope,
                                           @ForAll @IntRange(min = 2, max = 255) int version) {
        byte[] data = envelope.encode().toArray();
        data[0] = (byte) version;

        assertThatThrownBy(() -> CommandEnvelope.decode(Bytes.wrap(data)))
                .isInstanceOf(CodecException.class)
                .hasMessageContaining("unknown command envelope format version " + version);
    }

    /** Corruption may decode to another valid envelope, but never to anything but that or a CodecException. */
    @Property(tries = 1000)
    void arbitraryBytesDecodeOrFailWithCodecExceptionOnly(@ForAll("envelopes") CommandEnvelope envelope,
                                                         @ForAll @IntRange(min = 0, max = 10_000) int position,
                                                         @ForAll byte flip) {
        byte[] data = envelope.encode().toArray();
        data[position % data.length] ^= (byte) (flip | 1);
        try {
            CommandEnvelope decoded = CommandEnvelope.decode(Bytes.wrap(data));
            assertThat(decoded.encode().size()).isPositive();
        } catch (CodecException expected) {
            assertThat(expected.getMessage()).isNotBlank();
        }
    }

    @Property(tries = 500)
    void randomBytesNeverThrowAnythingButCodecException(@ForAll byte[] data) {
        try {
            Result.decode(Bytes.wrap(data));
        } catch (CodecException expected) {
            // fine
        }
        try {
            CommandEnvelope.decode(Bytes.wrap(data));
        } catch (CodecException expected) {
            // fine
        }
    }

    @Example
    void anUnknownCommandTagIsRejectedNamingTagAndOffset() {
        byte[] data = CommandEnvelope.withoutSession(5, new Command.Expire(5)).encode().toArray();
        data[11] = 99;  // version(1) + clientId(8) + sequence(1) + timestamp(1)

        assertThatThrownBy(() -> CommandEnvelope.decode(Bytes.wrap(data)))
                .isInstanceOf(CodecException.class)
                .hasMessage("corrupt command envelope at offset 11: unknown command tag 99");
    }

    @Example
    void aLengthLongerThanTheInputIsRejectedWithoutAllocatingIt() {
        Encoder out = new Encoder(32).writeByte(1).writeLong(0).writeVarLong(0).writeVarLong(0)
                .writeByte(CommandCodec.TAG_DELETE).writeVarLong(Long.MAX_VALUE);

        assertThatThrownBy(() -> CommandEnvelope.decode(out.toBytes()))
                .isInstanceOf(CodecException.class).hasMessageContaining("key needs " + Long.MAX_VALUE + " bytes");
    }

    @Example
    void aSessionWithSequenceZeroIsCorrupt() {
        Bytes data = new Encoder(32).writeByte(1).writeLong(77).writeVarLong(0).writeVarLong(0)
                .writeByte(CommandCodec.TAG_EXPIRE).writeVarLong(0).toBytes();

        assertThatThrownBy(() -> CommandEnvelope.decode(data))
                .isInstanceOf(CodecException.class).hasMessageContaining("sequence of client 77");
    }

    @Example
    void anOverlongVarintIsRejected() {
        byte[] tenContinuations = new byte[12];
        Arrays.fill(tenContinuations, (byte) 0x80);
        Decoder in = new Decoder(tenContinuations, "test");

        assertThatThrownBy(() -> in.readVarLong("v")).isInstanceOf(CodecException.class)
                .hasMessageContaining("longer than 10 bytes");
        byte[] overflow = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
                (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x01};
        assertThatThrownBy(() -> new Decoder(overflow, "test").readVarLong("v"))
                .hasMessageContaining("overflows");
    }

    @Property(tries = 300)
    void varintsRoundTripAtEveryMagnitude(@ForAll("nonNegativeLongs") long v) {
        Bytes encoded = new Encoder(16).writeVarLong(v).toBytes();
        Decoder in = new Decoder(encoded, "test");

        assertThat(in.readVarLong("v")).isEqualTo(v);
        assertThat(in.remaining()).isZero();
    }

    @Example
    void aSmallPutIsCompact() {
        Bytes encoded = new CommandEnvelope(123, 1, 1_700_000_000_000L,
                new Command.Put(Bytes.utf8("user/42"), Bytes.utf8("hello"), 0)).encode();

        // 1 version + 8 client + 1 sequence + 6 timestamp + 1 tag + 8 key + 6 value + 1 ttl.
        assertThat(encoded.size()).isEqualTo(32);
    }

    // ---- generators ----

    @Provide
    Arbitrary<Long> nonNegativeLongs() {
        return Arbitraries.oneOf(
                Arbitraries.longs().between(0, 300),
                Arbitraries.longs().between(0, Long.MAX_VALUE),
                Arbitraries.of(0L, 127L, 128L, 16_383L, 16_384L, Long.MAX_VALUE, Long.MAX_VALUE - 1));
    }

    static Arbitrary<Bytes> bytes(int maxSize) {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(maxSize).map(Bytes::wrap);
    }

    static Arbitrary<Command> commands() {
        Arbitrary<Bytes> keys = bytes(40);
        Arbitrary<Bytes> values = bytes(200);
        Arbitrary<Long> ttls = Arbitraries.oneOf(Arbitraries.just(0L), Arbitraries.longs().between(0, Long.MAX_VALUE));
        Arbitrary<Long> versions = Arbitraries.longs().between(0, Long.MAX_VALUE);
        return Arbitraries.oneOf(
                Combinators.combine(keys, values, ttls).as(Command.Put::new),
                keys.map(Command.Delete::new),
                Combinators.combine(keys, versions, values, ttls).as(Command.CompareAndSet::new),
                Arbitraries.longs().between(0, Long.MAX_VALUE).map(Command.Expire::new));
    }

    @Provide
    Arbitrary<CommandEnvelope> envelopes() {
        Arbitrary<Long> timestamps = Arbitraries.longs().between(0, Long.MAX_VALUE);
        Arbitrary<CommandEnvelope> withSession = Combinators.combine(
                Arbitraries.longs().filter(id -> id != CommandEnvelope.NO_SESSION),
                Arbitraries.longs().between(1, Long.MAX_VALUE), timestamps, commands())
                .as(CommandEnvelope::new);
        Arbitrary<CommandEnvelope> withoutSession = Combinators.combine(timestamps, commands())
                .as(CommandEnvelope::withoutSession);
        return Arbitraries.oneOf(withSession, withoutSession);
    }

    @Provide
    Arbitrary<Result> results() {
        Arbitrary<Long> nonNegative = Arbitraries.longs().between(0, Long.MAX_VALUE);
        Arbitrary<Integer> counts = Arbitraries.integers().between(0, Integer.MAX_VALUE);
        Arbitrary<String> messages = Arbitraries.strings().alpha().numeric().withChars(" =:/é€").ofMaxLength(80);
        return Arbitraries.oneOf(
                Combinators.combine(nonNegative, Arbitraries.longs().between(1, Long.MAX_VALUE)).as(Result.Written::new),
                Combinators.combine(nonNegative, Arbitraries.of(true, false)).as(Result.Deleted::new),
                nonNegative.map(Result.CasFailed::new),
                Combinators.combine(counts, counts, Arbitraries.of(true, false)).as(Result.Expired::new),
                nonNegative.map(Result.Stale::new),
                Combinators.combine(Arbitraries.of(RejectReason.class), messages).as(Result.Rejected::new),
                Arbitraries.just(new Result.Skipped()));
    }
}
