package org.editstream.export;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.editstream.schema.EditSample;
import org.editstream.schema.GenerationParameters;
import org.editstream.schema.ImageRef;
import org.editstream.schema.Lineage;
import org.editstream.schema.Scores;
import org.editstream.schema.Task;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class WebDatasetShardTest {
    static EditSample sample(String id, boolean mask) {
        return EditSample.newBuilder().setSampleId(id).setCaptionId("c-" + id).setTask(Task.COLOR).setTaskIndex(10)
                .setInstruction("make it brighter").setInputCaption("a photo")
                .setInputImage(ImageRef.newBuilder().setData(ByteBuffer.wrap(new byte[] {1, 2, 3})).setFormat("png").build())
                .setEditedImage(ImageRef.newBuilder().setData(ByteBuffer.wrap(new byte[] {4, 5})).setFormat("jpeg").build())
                .setMask(mask ? ImageRef.newBuilder().setData(ByteBuffer.wrap(new byte[] {9})).setFormat("png").build() : null)
                .setGeneration(GenerationParameters.newBuilder().setRecipe("color").setSeed(7).build())
                .setScores(Scores.newBuilder().setPixelL1(0.25f).build())
                .setLineage(Lineage.newBuilder().setPromptTemplateVersion("t").setJobVersion("j").setCreatedAt(Instant.EPOCH).build())
                .build();
    }

    @Test
    void finishLeavesAWholeArchiveInAStreamThatStaysOpen() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        WebDatasetShard shard = new WebDatasetShard(out);
        shard.add(sample("aa", true));
        shard.add(sample("bb", false));
        shard.finish();
        byte[] bytes = out.toByteArray();
        assertThat(bytes.length % 512).isZero();
        assertThat(Arrays.copyOfRange(bytes, bytes.length - 1024, bytes.length)).containsOnly(0);

        List<String> names = new ArrayList<>();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new ByteArrayInputStream(bytes))) {
            for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
                names.add(e.getName());
                if (e.getName().equals("aa.edited.jpg")) {
                    assertThat(tar.readAllBytes()).containsExactly(4, 5);
                }
            }
        }
        assertThat(names).containsExactly("aa.input.png", "aa.edited.jpg", "aa.mask.png", "aa.json",
                "bb.input.png", "bb.edited.jpg", "bb.json");
    }
}
