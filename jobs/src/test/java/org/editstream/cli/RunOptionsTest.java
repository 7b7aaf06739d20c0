package org.editstream.cli;

import org.editstream.job.JobConfig;
import org.editstream.recipes.GenerationBatch;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RunOptionsTest {
    private static JobConfig parse(String... args) {
        String[] withKafka = new String[args.length + 2];
        System.arraycopy(args, 0, withKafka, 0, args.length);
        withKafka[args.length] = "--bootstrap-servers";
        withKafka[args.length + 1] = "localhost:9092";
        CommandLine.ParseResult parsed = new CommandLine(new EditStreamCommand()).parseArgs(withKafka);
        return ((RunCommand) parsed.subcommand().commandSpec().userObject()).config();
    }

    @Test
    void theGenerationBatchIsACountOrAutoAndTheGroundingOptionsReachTheTools() {
        assertThat(parse("run").tools().generationBatch()).isEqualTo(1);
        assertThat(parse("run", "--generation-batch", "4").tools().generationBatch()).isEqualTo(4);
        assertThat(parse("run", "--generation-batch", "auto").tools().generationBatch()).isEqualTo(GenerationBatch.AUTO);
        assertThatThrownBy(() -> parse("run", "--generation-batch", "0")).hasMessageContaining("at least 1 or auto");
        assertThatThrownBy(() -> parse("run", "--generation-batch", "many")).hasMessageContaining("at least 1 or auto");

        JobConfig config = parse("run", "--box-threshold", "0.4", "--text-threshold", "0.3", "--no-detector-check");
        assertThat(config.tools().boxThreshold()).isEqualTo(0.4f);
        assertThat(config.tools().textThreshold()).isEqualTo(0.3f);
        assertThat(config.filters().detectorCheck()).isFalse();
        assertThat(parse("run").filters().detectorCheck()).isTrue();
    }
}
