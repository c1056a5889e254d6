package io.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.client.KeyValue;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** How arguments become bytes and bytes become output; no cluster needed. */
class ByteFormatTest {
    private static final HexFormat HEX = HexFormat.of();

    private static String hexOfText(String arg, java.nio.charset.Charset argv) {
        return HEX.formatHex(ByteFormat.text("KEY", arg, argv));
    }

    @Test
    void aTextArgumentIsTheBytesTypedWhateverCharsetTheJvmDecodedArgvWith() {
        assertThat(hexOfText("café", StandardCharsets.UTF_8)).isEqualTo("636166c3a9");
        // A Latin-1 JVM turns the typed bytes c3 a9 into "Ã©": encoding back gives them again.
        assertThat(hexOfText("cafÃ©", StandardCharsets.ISO_8859_1)).isEqualTo("636166c3a9");
        assertThat(hexOfText("plain", StandardCharsets.US_ASCII)).isEqualTo("706c61696e");
    }

    @Test
    void bytesThatAreNotUtf8AreRefusedAndSoIsUFFFD() {
        // UTF-8 and ASCII JVMs decode a byte they cannot read as U+FFFD.
        for (String arg : new String[] {"u/c\uFFFD", "\uFFFD", "lone \uD800 surrogate"}) {
            assertThatThrownBy(() -> ByteFormat.text("KEY", arg, StandardCharsets.UTF_8))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("KEY is not valid UTF-8").hasMessageContaining("--hex");
        }
        // A Latin-1 JVM decodes 0xff as "ÿ": the bytes typed, u/c ff, are not UTF-8.
        assertThatThrownBy(() -> ByteFormat.text("KEY", "u/cÿ", StandardCharsets.ISO_8859_1))
                .hasMessageStartingWith("KEY is not valid UTF-8");
        assertThatThrownBy(() -> ByteFormat.text("VALUE", "é", StandardCharsets.US_ASCII))
                .hasMessageStartingWith("VALUE is not valid UTF-8");
    }

    @Test
    void hexAndBase64ArgumentsAndTheirErrors() {
        ByteFormat hex = new ByteFormat();
        hex.hex = true;
        assertThat(hex.decode("KEY", "752F63ff", StandardCharsets.UTF_8)).containsExactly(0x75, 0x2f, 0x63, 0xff);
        assertThat(new String(hex.encode(new byte[] {(byte) 0xAB, 0}), StandardCharsets.US_ASCII)).isEqualTo("ab00");
        assertThatThrownBy(() -> hex.decode("KEY", "abc", StandardCharsets.UTF_8)).hasMessageStartingWith("KEY is not hex");
        ByteFormat b64 = new ByteFormat();
        b64.base64 = true;
        assertThat(b64.decode("VALUE", "/wA=", StandardCharsets.UTF_8)).containsExactly(0xff, 0);
        assertThatThrownBy(() -> b64.decode("VALUE", "-_", StandardCharsets.UTF_8))
                .hasMessageStartingWith("VALUE is not base64");
        hex.base64 = true;
        assertThatThrownBy(hex::validate).hasMessage("use either --hex or --base64, not both");
    }

    @Test
    void messagesShowPrintableTextAsItIsAndAnythingElseAsHex() {
        assertThat(ByteFormat.display("job/é".getBytes(StandardCharsets.UTF_8))).isEqualTo("job/é");
        assertThat(ByteFormat.display("a\nb".getBytes(StandardCharsets.UTF_8))).isEqualTo("hex:610a62");
        assertThat(ByteFormat.display(new byte[] {'u', (byte) 0xff})).isEqualTo("hex:75ff");
        assertThat(ByteFormat.display(HEX.parseHex("efbfbd"))).isEqualTo("hex:efbfbd");
    }

    @Test
    void jsonHasTheDocumentedShape() {
        KeyValue text = new KeyValue("a\"\\\t\u0000é".getBytes(StandardCharsets.UTF_8),
                "b".getBytes(StandardCharsets.UTF_8), 5, 7, 2, 1, 9);
        assertThat(new String(KvJson.line(text, true), StandardCharsets.UTF_8)).isEqualTo(
                "{\"key\":\"a\\\"\\\\\\t\\u0000é\",\"value\":\"b\",\"version\":2,\"create_revision\":5,\"mod_revision\":7}\n");
        KeyValue binary = new KeyValue(new byte[] {(byte) 0xff}, new byte[] {(byte) 0xc3}, 3, 3, 1, 1, 9);
        assertThat(new String(KvJson.line(binary, true), StandardCharsets.UTF_8)).isEqualTo(
                "{\"key_base64\":\"/w==\",\"value_base64\":\"ww==\",\"version\":1,\"create_revision\":3,\"mod_revision\":3}\n");
        assertThat(new String(KvJson.line(binary, false), StandardCharsets.UTF_8)).isEqualTo(
                "{\"key_base64\":\"/w==\",\"version\":1,\"create_revision\":3,\"mod_revision\":3}\n");
    }
}
