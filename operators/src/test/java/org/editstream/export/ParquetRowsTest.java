package org.editstream.export;

import org.apache.arrow.vector.ipc.ReadChannel;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.MessageType;
import org.editstream.schema.EditSample;
import org.editstream.schema.export.TrainingRow;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.channels.Channels;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ParquetRowsTest {
    @Test
    void rowsReadBackAndTheFooterDescribesEveryColumn(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("rows.parquet");
        List<EditSample> samples = List.of(WebDatasetShardTest.sample("aa", true), WebDatasetShardTest.sample("bb", false));
        try (ParquetWriter<TrainingRow> writer = ParquetRows.writer(new LocalOutputFile(file))) {
            for (EditSample s : samples) {
                writer.write(TrainingRows.of(s));
            }
        }
        try (ParquetReader<TrainingRow> reader = ParquetRows.reader(new LocalInputFile(file))) {
            for (EditSample s : samples) {
                assertThat(reader.read()).isEqualTo(TrainingRows.of(s));
            }
            assertThat(reader.read()).isNull();
        }

        try (ParquetFileReader parquet = ParquetFileReader.open(new LocalInputFile(file))) {
            Map<String, String> meta = parquet.getFooter().getFileMetaData().getKeyValueMetaData();
            assertThat(meta.get("huggingface")).contains("\"input_image\":{\"_type\":\"Image\"}");
            byte[] ipc = Base64.getDecoder().decode(meta.get("ARROW:schema"));
            Schema arrow = MessageSerializer.deserializeSchema(new ReadChannel(Channels.newChannel(new ByteArrayInputStream(ipc))));
            MessageType columns = parquet.getFooter().getFileMetaData().getSchema();
            // one Arrow field per Parquet column, in order; the task read as the partitions' dictionary of strings
            assertThat(arrow.getFields()).extracting(Field::getName)
                    .isEqualTo(columns.getFields().stream().map(org.apache.parquet.schema.Type::getName).toList());
            assertThat(arrow.getCustomMetadata()).containsEntry("huggingface", meta.get("huggingface"));
            Field task = arrow.findField("task");
            assertThat(task.getDictionary()).isNotNull();
            assertThat(task.getType()).isEqualTo(new ArrowType.Utf8());
            // nullability follows the Parquet repetition, so datasets' Image feature matches the image columns
            for (Field f : arrow.getFields()) {
                assertThat(f.isNullable()).as(f.getName())
                        .isEqualTo(columns.getType(f.getName()).getRepetition() == org.apache.parquet.schema.Type.Repetition.OPTIONAL);
            }
            assertThat(arrow.findField("input_image").getChildren()).extracting(Field::getName).containsExactly("bytes", "path");
            // three-level lists
            assertThat(columns.getType("generation").asGroupType().getType("model_ids").asGroupType().getType(0).getName()).isEqualTo("list");
        }
    }

    @Test
    void parametersAreOneJsonObjectWithSortedKeys() {
        assertThat(TrainingRows.json(new java.util.HashMap<>(Map.of("z", "1", "a", "x\"y")))).isEqualTo("{\"a\":\"x\\\"y\",\"z\":\"1\"}");
    }
}
