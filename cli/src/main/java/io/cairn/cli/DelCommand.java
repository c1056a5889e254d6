package io.cairn.cli;

import io.cairn.client.CairnClient;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "del", mixinStandardHelpOptions = true,
        description = "Deletes KEY; prints 1 if it existed, 0 if it was already absent.")
final class DelCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Override
    void validate() {
        checkKey(key);
    }

    @Override
    int run(CairnClient client, PrintWriter out, PrintWriter err) {
        out.println(client.delete(utf8(key)) ? "1" : "0");
        return CairnCli.EXIT_OK;
    }
}
