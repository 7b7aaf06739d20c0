package org.editstream.local;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class EmbeddedKafkaTest {
    @Test
    void theBrokerListensOnTheLoopbackAddressOnly() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/net/tcp")), "no /proc/net/tcp to read listening sockets from");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(1024 * 1024, null)) {
            String bootstrap = kafka.bootstrapServers();
            assertThat(bootstrap).startsWith("127.0.0.1:");
            int port = Integer.parseInt(bootstrap.substring(bootstrap.lastIndexOf(':') + 1));
            List<String> listening = listeningAddresses(port);
            assertThat(listening).as("sockets listening on port %d", port).isNotEmpty()
                    .allMatch(address -> address.equals("0100007F") || address.equals("0000000000000000FFFF00000100007F"));
        }
    }

    /** The local addresses (as /proc/net/tcp writes them, hex) of the sockets listening on {@code port}. */
    private static List<String> listeningAddresses(int port) throws Exception {
        String hexPort = String.format(Locale.ROOT, "%04X", port);
        List<String> addresses = new ArrayList<>();
        for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            Path file = Path.of(table);
            if (!Files.isReadable(file)) {
                continue;
            }
            for (String line : Files.readAllLines(file)) {
                String[] fields = line.trim().split("\\s+");
                // sl local_address rem_address st ...; state 0A is LISTEN
                if (fields.length > 3 && fields[1].endsWith(":" + hexPort) && fields[3].equals("0A")) {
                    addresses.add(fields[1].substring(0, fields[1].indexOf(':')));
                }
            }
        }
        return addresses;
    }
}
