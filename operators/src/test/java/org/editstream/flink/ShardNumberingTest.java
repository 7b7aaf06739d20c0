package org.editstream.flink;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class ShardNumberingTest {
    @Test
    void committedPartsTakeTheirFoldersNextNumbersInCommitOrder(@TempDir Path root) throws Exception {
        Path color = Files.createDirectories(root.resolve("task=color/date=2026-12-02"));
        Path sketch = Files.createDirectories(root.resolve("task=sketch/date=2026-12-02"));
        write(color.resolve("shard-000000.tar"), "a", 0);
        write(color.resolve("shard-000001.tar"), "b", 1);
        write(color.resolve("part-u2-0.tar"), "later", 30);
        write(color.resolve("compacted-part-u1-3.tar"), "earlier", 20);
        write(color.resolve(".part-u3-1.tar.inprogress.0f"), "in progress", 40);
        write(color.resolve("_SUCCESS"), "", 40);
        write(sketch.resolve("part-u4-0.tar"), "first of its folder", 50);

        ShardNumbering numbering = new ShardNumbering(root.toUri().toString(), Duration.ofSeconds(1));
        assertThat(numbering.numberAll()).isEqualTo(3);

        assertThat(names(color)).containsExactly(".part-u3-1.tar.inprogress.0f", "_SUCCESS",
                "shard-000000.tar", "shard-000001.tar", "shard-000002.tar", "shard-000003.tar");
        assertThat(Files.readString(color.resolve("shard-000002.tar"))).isEqualTo("earlier");
        assertThat(Files.readString(color.resolve("shard-000003.tar"))).isEqualTo("later");
        assertThat(names(sketch)).containsExactly("shard-000000.tar");

        // looking again changes nothing; a part committed since takes the number after the highest
        assertThat(numbering.numberAll()).isZero();
        write(color.resolve("part-u3-1.tar"), "committed since", 60);
        assertThat(numbering.numberAll()).isEqualTo(1);
        assertThat(Files.readString(color.resolve("shard-000004.tar"))).isEqualTo("committed since");
    }

    @Test
    void aSinkFolderNotMadeYetIsNotAnError(@TempDir Path root) throws Exception {
        assertThat(new ShardNumbering(root.resolve("not-yet").toUri().toString(), Duration.ofSeconds(1)).numberAll()).isZero();
    }

    private static void write(Path file, String text, int secondsAfter) throws Exception {
        Files.writeString(file, text);
        Files.setLastModifiedTime(file, FileTime.from(Instant.parse("2026-12-02T00:00:00Z").plusSeconds(secondsAfter)));
    }

    private static List<String> names(Path folder) throws Exception {
        try (Stream<Path> files = Files.list(folder)) {
            return files.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }
}
