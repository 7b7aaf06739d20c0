package org.editstream.job;

import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptionsInternal;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RecoveryTest {
    private final JobConfig config = JobConfig.builder("localhost:1").groupId("g").transactionalIdPrefix("t").build();

    @Test
    void oneJobIdentityHasOneJobIdAndAnotherHasAnother() {
        JobConfig other = JobConfig.builder("localhost:1").groupId("g").transactionalIdPrefix("u").build();
        assertThat(Recovery.jobId(config)).isEqualTo(Recovery.jobId(JobConfig.builder("elsewhere:9").groupId("g")
                .transactionalIdPrefix("t").build()));
        assertThat(Recovery.jobId(config)).isNotEqualTo(Recovery.jobId(other));
    }

    @Test
    void aSavepointOrACheckpointNamedOnTheCommandLineIsWhereItStarts() {
        Recovery savepoint = Recovery.decide(config, null, "file:///sp/savepoint-1");
        assertThat(savepoint.path()).isEqualTo("file:///sp/savepoint-1");
        assertThat(savepoint.line()).isEqualTo("Resuming from savepoint file:///sp/savepoint-1");
        Recovery checkpoint = Recovery.decide(config, "file:///cp/x/chk-7", null);
        assertThat(checkpoint.path()).isEqualTo("file:///cp/x/chk-7");
        assertThatThrownBy(() -> Recovery.decide(config, "file:///cp/x/chk-7", "file:///sp/1"))
                .hasMessageContaining("name two starting points");

        Configuration flink = new Configuration();
        checkpoint.applyTo(flink, config);
        assertThat(flink.get(StateRecoveryOptions.SAVEPOINT_PATH)).isEqualTo("file:///cp/x/chk-7");
        assertThat(flink.get(PipelineOptionsInternal.PIPELINE_FIXED_JOB_ID)).isEqualTo(Recovery.jobId(config).toHexString());
    }

    @Test
    void theLatestCheckpointSkipsOnesWhoseMetadataDoesNotReadBackAndOnesWithout(@TempDir Path dir) throws Exception {
        JobID job = Recovery.jobId(config);
        assertThat(Recovery.latestCheckpoint(dir.toUri().toString(), job)).isEmpty();
        Path folder = Files.createDirectories(dir.resolve(job.toHexString()));
        Files.createDirectories(folder.resolve("chk-9")); // in progress: no metadata yet
        Files.write(Files.createDirectories(folder.resolve("chk-8")).resolve("_metadata"), new byte[] {1, 2, 3}); // cut short
        Files.createDirectories(folder.resolve("shared"));
        assertThat(Recovery.latestCheckpoint(dir.toUri().toString(), job)).isEmpty();
    }
}
