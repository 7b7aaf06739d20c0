package org.editstream.instruct;

import org.editstream.rejections.Refusal;
import org.editstream.schema.CaptionEvent;
import org.editstream.schema.Instruction;
import org.editstream.schema.Reason;
import org.editstream.schema.Task;
import org.editstream.tasks.Seeds;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.editstream.instruct.ScriptedChatServer.reply;

/** The agent's two calls (instruction, then the object name to ground) against the scripted server. */
class LlmInstructionWriterTest {
    private static final CaptionEvent CAPTION = CaptionEvent.newBuilder().setId("cap-1")
            .setCaption("My neighbour's grey cat sleeping on a red armchair").build();
    private static final String LOCAL = "{\"instruction\": \"Turn the grey cat into a fox\", "
            + "\"output_caption\": \"My neighbour's fox sleeping on a red armchair\", "
            + "\"original_object\": \"neighbour's grey cat\", \"edited_object\": \"fox\"}";

    private static boolean isNamePrompt(ScriptedChatServer.Request r) {
        return r.messages().get(0).path("content").asText().startsWith("You shorten object names");
    }

    private static LlmInstructionWriter writer(ScriptedChatServer server) {
        LlmSettings settings = LlmSettings.of(server.baseUrl(), "agent-model").withApiKey(null, null)
                .withRetries(2, Duration.ofMillis(5), Duration.ofMillis(50));
        return new LlmInstructionWriter(new ChatClient(settings), Agents.bundled());
    }

    @Test
    void writesTheInstructionAndStripsTheNameToGround() throws Exception {
        try (ScriptedChatServer server = new ScriptedChatServer(r -> isNamePrompt(r)
                ? reply("{\"object\": \"grey cat\"}") : reply(LOCAL))) {
            LlmInstructionWriter.Written w = writer(server).write(CAPTION, Task.LOCAL, Seeds.fromCaptionId("cap-1"), 0)
                    .get(30, TimeUnit.SECONDS);
            Instruction i = w.instruction();
            assertThat(i.getText()).isEqualTo("Turn the grey cat into a fox");
            assertThat(i.getOriginalObject()).isEqualTo("neighbour's grey cat");
            assertThat(i.getEditedObject()).isEqualTo("fox");
            assertThat(i.getIntent()).containsEntry(LlmInstructionWriter.GROUND_ORIGINAL, "grey cat").hasSize(1);
            assertThat(i.getWriter()).isEqualTo("agent-model");
            assertThat(i.getTemplateVersion()).isEqualTo(Agents.bundled().version());
            assertThat(w.calls()).isEqualTo(2);
            assertThat(w.promptTokens()).isEqualTo(200);
            assertThat(server.received().get(1).lastUserContent()).isEqualTo("neighbour's grey cat");
        }
    }

    @Test
    void aNameReplyThatInventsWordsFallsBackToTheRule() throws Exception {
        try (ScriptedChatServer server = new ScriptedChatServer(r -> isNamePrompt(r)
                ? reply("{\"object\": \"kitten\"}") : reply(LOCAL))) {
            Instruction i = writer(server).write(CAPTION, Task.LOCAL, 7, 0).get(30, TimeUnit.SECONDS).instruction();
            assertThat(i.getIntent()).containsEntry(LlmInstructionWriter.GROUND_ORIGINAL, "grey cat")
                    .containsEntry(LlmInstructionWriter.GROUND_ORIGINAL + "_by", "rule");
        }
    }

    @Test
    void tasksWithoutObjectsMakeOneCall() throws Exception {
        try (ScriptedChatServer server = new ScriptedChatServer(r -> reply(
                "{\"instruction\": \"Make it snowy\", \"output_caption\": \"A snowy scene\"}"))) {
            LlmInstructionWriter.Written w = writer(server).write(CAPTION, Task.GLOBAL, 7, 0).get(30, TimeUnit.SECONDS);
            assertThat(w.calls()).isEqualTo(1);
            assertThat(w.instruction().getIntent()).isEmpty();
            assertThat(server.received()).hasSize(1);
        }
    }

    @Test
    void anInvalidReplyFailsWithItsReasonAndNoNameCall() throws Exception {
        try (ScriptedChatServer server = new ScriptedChatServer(r -> reply("{\"instruction\": \"Turn the cat into a fox\"}"))) {
            Throwable thrown = catchThrowable(() -> writer(server).write(CAPTION, Task.LOCAL, 7, 0).get(30, TimeUnit.SECONDS));
            assertThat(thrown).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(Refusal.class);
            assertThat(((Refusal) thrown.getCause()).reason()).isEqualTo(Reason.LLM_MISSING_KEYS);
            assertThat(server.received()).hasSize(1);
        }
    }
}
