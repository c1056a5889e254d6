package io.cairn.kv.state;

import io.cairn.common.Seeded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.common.Bytes;
import io.cairn.common.RandomSource;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Properties of the command and result codecs, each a seeded loop over the generators at the
 * bottom: a failure names its seed and input (see {@link Seeded}).
 */
class CodecPropertiesTest {

    @Test
    void everyEnvelopeRoundTrips() {
        Seeded.forAll(500, CodecPropertiesTest::envelope, envelope -> {
            Bytes encoded = envelope.encode();

            assertThat(CommandEnvelope.decode(encoded)).isEqualTo(envelope);
        });
    }

    @Test
    void everyResultRoundTrips() {
        Seeded.forAll(500, CodecPropertiesTest::result,
                result -> assertThat(Result.decode(result.encode())).isEqualTo(result));
    }

    @Test
    void everyTruncationOfAnEnvelopeIsRejected() {
        Seeded.forAll(200, CodecPropertiesTest::envelope, envelope -> {
            byte[] full = envelope.encode().toArray();
            for (int length = 0; length < full.length; length++) {
                Bytes prefix = Bytes.copyOf(full, 0, length);
                assertThatThrownBy(() -> CommandEnvelope.decode(prefix)).as("prefix of %d bytes", length)
                        .isInstanceOf(CodecException.class);
            }
        });
    }

    @Test
    void everyTruncationOfAResultIsRejected() {
        Seeded.forAll(200, CodecPropertiesTest::result, result -> {
            byte[] full = result.encode().toArray();
            for (int length = 0; length < full.length; length++) {
                Bytes prefix = Bytes.copyOf(full, 0, length);
                assertThatThrownBy(() -> Result.decode(prefix)).as("prefix of %d bytes", length)
                        .isInstanceOf(CodecException.class);
            }
        });
    }

    record WithByte(CommandEnvelope envelope, byte extra) {}

    @Test
    void aTrailingByteIsRejected() {
        Seeded.forAll(200, random -> new WithByte(envelope(random), (byte) random.nextInt(256)), input -> {
            byte[] full = input.envelope().encode().toArray();
            byte[] longer = Arrays.copyOf(full, full.length + 1);
            longer[full.length] = input.extra();

            assertThatThrownBy(() -> CommandEnvelope.decode(Bytes.wrap(longer)))
                    .isInstanceOf(CodecException.class).hasMessageContaining("trailing");
        });
    }

    record WithVersion(CommandEnvelope envelope, int version) {}

    @Test
    void anUnknownVersionIsRejectedNamingIt() {
        Seeded.forAll(200, random -> new WithVersion(envelope(random), Seeded.between(random, 2, 255)), input -> {
            byte[] data = input.envelope().encode().toArray();
            data[0] = (byte) input.version();

            assertThatThrownBy(() -> CommandEnvelope.decode(Bytes.wrap(data)))
                    .isInstanceOf(CodecException.class)
                    .hasMessageContaining("unknown command envelope format version " + input.version());
        });
    }

    record WithFlip(CommandEnvelope envelope, int position, byte flip) {}

    /** Corruption may decode to another valid envelope, but never to anything but that or a CodecException. */
    @Test
    void arbitraryBytesDecodeOrFailWithCodecExceptionOnly() {
        Function<RandomSource, WithFlip> flips = random -> new WithFlip(
                envelope(random), Seeded.between(random, 0, 10_000), (byte) random.nextInt(256));
        Seeded.forAll(1000, flips, input -> {
            byte[] data = input.envelope().encode().toArray();
            data[input.position() % data.length] ^= (byte) (input.flip() | 1);
            try {
                CommandEnvelope decoded = CommandEnvelope.decode(Bytes.wrap(data));
                assertThat(decoded.encode().size()).isPositive();
            } catch (CodecException expected) {
                assertThat(expected.getMessage()).isNotBlank();
            }
        });
    }

    @Test
    void randomBytesNeverThrowAnythingButCodecException() {
        Seeded.forAll(500, random -> bytes(random, 255), data -> {
            try {
                Result.decode(data);
            } catch (CodecException expected) {
                // fine
            }
            try {
                CommandEnvelope.decode(data);
            } catch (CodecException expected) {
                // fine
            }
        });
    }

    @Test
    void anUnknownCommandTagIsRejectedNamingTagAndOffset() {
        byte[] data = CommandEnvelope.withoutSession(5, new Command.Expire(5)).encode().toArray();
        data[11] = 99;  // version(1) + clientId(8) + sequence(1) + timestamp(1)

        assertThatThrownBy(() -> CommandEnvelope.decode(Bytes.wrap(data)))
                .isInstanceOf(CodecException.class)
                .hasMessage("corrupt command envelope at offset 11: unknown command tag 99");
    }

    @Test
    void aLengthLongerThanTheInputIsRejectedWithoutAllocatingIt() {
        Encoder out = new Encoder(32).writeByte(1).writeLong(0).writeVarLong(0).writeVarLong(0)
                .writeByte(CommandCodec.TAG_DELETE).writeVarLong(Long.MAX_VALUE);

        assertThatThrownBy(() -> CommandEnvelope.decode(out.toBytes()))
                .isInstanceOf(CodecException.class).hasMessageContaining("key needs " + Long.MAX_VALUE + " bytes");
    }

    @Test
    void aSessionWithSequenceZeroIsCorrupt() {
        Bytes data = new Encoder(32).writeByte(1).writeLong(77).writeVarLong(0).writeVarLong(0)
                .writeByte(CommandCodec.TAG_EXPIRE).writeVarLong(0).toBytes();

        assertThatThrownBy(() -> CommandEnvelope.decode(data))
                .isInstanceOf(CodecException.class).hasMessageContaining("sequence of client 77");
    }

    @Test
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

    @Test
    void varintsRoundTripAtEveryMagnitude() {
        Seeded.forAll(300, CodecPropertiesTest::nonNegative, v -> {
            Bytes encoded = new Encoder(16).writeVarLong(v).toBytes();
            Decoder in = new Decoder(encoded, "test");

            assertThat(in.readVarLong("v")).isEqualTo(v);
            assertThat(in.remaining()).isZero();
        });
    }

    @Test
    void aSmallPutIsCompact() {
        Bytes encoded = new CommandEnvelope(123, 1, 1_700_000_000_000L,
                new Command.Put(Bytes.utf8("user/42"), Bytes.utf8("hello"), 0)).encode();

        // 1 version + 8 client + 1 sequence + 6 timestamp + 1 tag + 8 key + 6 value + 1 ttl.
        assertThat(encoded.size()).isEqualTo(32);
    }

    // ---- generators ----

    /** The values at which a varint's length or a sign bit changes. */
    private static final long[] EDGES = {0, 1, 127, 128, 16_383, 16_384, Long.MAX_VALUE - 1, Long.MAX_VALUE};

    /**
     * A long in [0, Long.MAX_VALUE] whose bit length is uniform, so that every varint length is
     * as likely as any other; an edge a quarter of the time.
     */
    static long nonNegative(RandomSource random) {
        if (random.chance(0.25)) {
            return EDGES[random.nextInt(EDGES.length)];
        }
        return random.nextLong() >>> (1 + random.nextInt(63));
    }

    /** An int in [0, Integer.MAX_VALUE], each bit length as likely as any other. */
    static int count(RandomSource random) {
        if (random.chance(0.25)) {
            return random.chance(0.5) ? 0 : Integer.MAX_VALUE;
        }
        return (int) (random.nextLong() >>> (33 + random.nextInt(31)));
    }

    /** Any long, either sign, every magnitude. */
    static long anyLong(RandomSource random) {
        long magnitude = nonNegative(random);
        if (random.chance(0.1)) {
            return Long.MIN_VALUE;
        }
        return random.chance(0.5) ? -magnitude : magnitude;
    }

    static Bytes bytes(RandomSource random, int maxSize) {
        byte[] data = new byte[random.chance(0.3) ? Seeded.between(random, 0, Math.min(4, maxSize))
                : Seeded.between(random, 0, maxSize)];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) random.nextInt(256);
        }
        return Bytes.wrap(data);
    }

    private static long ttl(RandomSource random) {
        return random.chance(0.5) ? 0 : nonNegative(random);
    }

    static Command command(RandomSource random) {
        return switch (random.nextInt(17)) {
            case 16 -> new Command.Proclaim(bytes(random, 40), random.nextLong() | 1, bytes(random, 40), bytes(random, 60));
            case 13 -> sessionLock(random);
            case 14 -> new Command.LockRelease(bytes(random, 40), random.nextLong() | 1, bytes(random, 40));
            case 15 -> new Command.EndSessions(List.of(random.nextLong() | 1, random.nextLong() | 1), random.chance(0.5));
            case 10 -> new Command.Forget(bytes(random, 16));
            case 12 -> new Command.SetSystem(Bytes.utf8("record"), nonNegative(random), bytes(random, 100));
            case 0, 1, 2 -> write(random);
            case 6 -> txn(random);
            case 7 -> new Command.Prepare(bytes(random, 16), bytes(random, 40), txn(random).compares(),
                    List.of(new Command.Put(bytes(random, 40), bytes(random, 100), ttl(random)),
                            new Command.Delete(bytes(random, 40))), random.chance(0.5), random.chance(0.5));
            case 8 -> random.chance(0.2) ? new Command.Decide(bytes(random, 16), random.chance(0.5), null, List.of())
                    : Command.Decide.of(bytes(random, 16), random.chance(0.5), bytes(random, 40),
                            random.chance(0.5) ? List.of() : List.of(bytes(random, 40), bytes(random, 40)));
            case 9 -> new Command.Resolve(bytes(random, 16), random.chance(0.5),
                    List.of(bytes(random, 40), bytes(random, 40)));
            case 3 -> new Command.Lock(bytes(random, 40), bytes(random, 40), Math.max(1, nonNegative(random)));
            case 4 -> new Command.Unlock(bytes(random, 40), Math.max(1, nonNegative(random)));
            case 5 -> {
                Command write = write(random);
                boolean release = (write instanceof Command.Put || write instanceof Command.Delete) && random.chance(0.5);
                yield new Command.Fenced(bytes(random, 40), Math.max(1, nonNegative(random)), write, release);
            }
            default -> new Command.Expire(nonNegative(random));
        };
    }

    private static Command.Lock sessionLock(RandomSource random) {
        int permits = random.chance(0.3) ? Command.Lock.READ_WRITE_PERMITS : 1 + random.nextInt(5);
        return new Command.Lock(bytes(random, 40), bytes(random, 40), Math.max(1, nonNegative(random)),
                random.nextLong() | 1, permits, 1 + random.nextInt(permits), random.chance(0.5), nonNegative(random),
                bytes(random, 20));
    }

    private static Command.Txn txn(RandomSource random) {
        List<Compare> compares = new java.util.ArrayList<>();
        for (int i = random.nextInt(4); i > 0; i--) {
            Compare.Target target = Compare.Target.values()[random.nextInt(Compare.Target.values().length)];
            Compare.Relation relation = Compare.Relation.values()[random.nextInt(Compare.Relation.values().length)];
            compares.add(target == Compare.Target.VALUE ? Compare.value(bytes(random, 40), relation, bytes(random, 40))
                    : Compare.of(bytes(random, 40), target, relation, nonNegative(random)));
        }
        return new Command.Txn(compares, ops(random), ops(random));
    }

    private static List<TxnOp> ops(RandomSource random) {
        List<TxnOp> ops = new java.util.ArrayList<>();
        for (int i = random.nextInt(4); i > 0; i--) {
            ops.add(switch (random.nextInt(3)) {
                case 0 -> new Command.Put(bytes(random, 40), bytes(random, 100), ttl(random));
                case 1 -> new Command.Delete(bytes(random, 40));
                default -> new TxnOp.Get(bytes(random, 40));
            });
        }
        return ops;
    }

    /** A command that can be fenced. */
    private static Command write(RandomSource random) {
        return switch (random.nextInt(4)) {
            case 0 -> new Command.Put(bytes(random, 40), bytes(random, 200), ttl(random));
            case 1 -> new Command.Delete(bytes(random, 40));
            case 2 -> new Command.SetTtl(bytes(random, 40), ttl(random));
            default -> new Command.CompareAndSet(
                    bytes(random, 40), nonNegative(random), bytes(random, 200), ttl(random));
        };
    }

    static CommandEnvelope envelope(RandomSource random) {
        if (random.chance(0.5)) {
            return CommandEnvelope.withoutSession(nonNegative(random), command(random));
        }
        long clientId = anyLong(random);
        long sequence = Math.max(1, nonNegative(random));
        return new CommandEnvelope(clientId == CommandEnvelope.NO_SESSION ? 1 : clientId, sequence,
                nonNegative(random), command(random));
    }

    private static final String MESSAGE_CHARS =
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 =:/é€";

    /** Up to 80 characters, some of them two and three bytes long in UTF-8. */
    private static String message(RandomSource random) {
        StringBuilder out = new StringBuilder();
        for (int i = Seeded.between(random, 0, 80); i > 0; i--) {
            out.append(MESSAGE_CHARS.charAt(random.nextInt(MESSAGE_CHARS.length())));
        }
        return out.toString();
    }

    static Result result(RandomSource random) {
        List<RejectReason> reasons = List.of(RejectReason.values());
        return switch (random.nextInt(20)) {
            case 17 -> new Result.LockQueued(1 + random.nextInt(1_000), nonNegative(random));
            case 18 -> new Result.SessionEnded(random.nextLong());
            case 19 -> new Result.SessionsEnded(count(random));
            case 12 -> txnDone(random);
            case 13 -> new Result.Prepared(random.nextInt(5) - 1);
            case 14 -> new Result.Locked(bytes(random, 40), bytes(random, 16), bytes(random, 40), nonNegative(random));
            case 15 -> new Result.Decided(random.chance(0.5));
            case 16 -> new Result.Resolved(count(random));
            case 7 -> new Result.LockGranted(Math.max(1, nonNegative(random)), nonNegative(random));
            case 8 -> new Result.LockBusy(nonNegative(random), nonNegative(random));
            case 9 -> new Result.Released(nonNegative(random));
            case 10 -> new Result.NotHolder(nonNegative(random));
            case 11 -> new Result.FencedOut(nonNegative(random));
            case 0 -> new Result.Written(nonNegative(random), Math.max(1, nonNegative(random)));
            case 1 -> new Result.Deleted(nonNegative(random), random.chance(0.5));
            case 2 -> new Result.CasFailed(nonNegative(random));
            case 3 -> new Result.Expired(count(random), count(random), random.chance(0.5));
            case 4 -> new Result.Stale(nonNegative(random));
            case 5 -> new Result.Rejected(reasons.get(random.nextInt(reasons.size())), message(random));
            default -> new Result.Skipped();
        };
    }

    private static Result txnDone(RandomSource random) {
        List<Result> results = new java.util.ArrayList<>();
        for (int i = random.nextInt(4); i > 0; i--) {
            results.add(switch (random.nextInt(4)) {
                case 0 -> new Result.Written(nonNegative(random), Math.max(1, nonNegative(random)));
                case 1 -> new Result.Deleted(nonNegative(random), random.chance(0.5));
                case 2 -> new Result.Read(null);
                default -> new Result.Read(new KeyValue(bytes(random, 40), bytes(random, 100), 3, 5, 2,
                        nonNegative(random)));
            });
        }
        int failed = random.chance(0.5) ? -1 : random.nextInt(5);
        return new Result.TxnDone(failed == -1, failed, Math.max(1, nonNegative(random)), results);
    }
}
