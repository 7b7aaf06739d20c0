package org.editstream.instruct;

import org.editstream.schema.CaptionEvent;
import org.editstream.schema.Instruction;
import org.editstream.schema.Task;
import org.editstream.tasks.Seeds;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Writes instructions with the task agents over a chat-completions server: the task's prompt, the reply
 * validated ({@link Replies}), then the object names to ground stripped by the second prompt
 * ({@link ObjectNames}). Failures complete the future with a {@link org.editstream.rejections.Refusal}
 * ({@link LlmFailure} for transport failures) carrying the reason code.
 */
public final class LlmInstructionWriter {
    /** Intent keys under which the names to ground travel to the recipes (and into the sample's parameters). */
    public static final String GROUND_ORIGINAL = "ground_original";
    public static final String GROUND_EDITED = "ground_edited";

    private final ChatClient client;
    private final Agents agents;

    public LlmInstructionWriter(ChatClient client, Agents agents) {
        this.client = client;
        this.agents = agents;
    }

    /** An instruction and what writing it cost (summed over the agent's calls). */
    public record Written(Instruction instruction, int promptTokens, int completionTokens, long latencyNanos, int calls) {
        static Written of(Instruction instruction, ChatReply reply) {
            return new Written(instruction, reply.promptTokens(), reply.completionTokens(), reply.latencyNanos(), 1);
        }

        /** This one with a revised instruction and one more call's costs. */
        Written then(Instruction revised, ChatReply reply) {
            return new Written(revised, promptTokens + reply.promptTokens(), completionTokens + reply.completionTokens(),
                    latencyNanos + reply.latencyNanos(), calls + 1);
        }
    }

    /** The prompt of one request; every draw derives from the caption id, task and attempt. */
    public List<ChatMessage> prompt(CaptionEvent caption, Task task, long seed, int attempt) {
        return agents.agent(task).prompt(agents.texts(), caption.getCaption(), random(caption, task, seed, attempt));
    }

    public CompletableFuture<Written> write(CaptionEvent caption, Task task, long seed, int attempt) {
        TaskAgent agent = agents.agent(task);
        SplittableRandom random = random(caption, task, seed, attempt);
        List<ChatMessage> messages = agent.prompt(agents.texts(), caption.getCaption(), random);
        long llmSeed = random.nextLong() >>> 33;
        return client.complete(messages, llmSeed).thenCompose(reply -> {
            AgentAnswer answer;
            try {
                answer = Replies.validate(agent, caption.getCaption(), reply.content());
            } catch (org.editstream.rejections.Refusal refusal) {
                throw new CompletionException(refusal);
            }
            Map<String, String> intent = new TreeMap<>();
            Written written = Written.of(instruction(answer, intent), reply);
            CompletableFuture<Written> result = CompletableFuture.completedFuture(written);
            if (Replies.ORIGINAL_IN_CAPTION.contains(task)) {
                result = result.thenCompose(w -> ground(w, answer.originalObject(), GROUND_ORIGINAL, intent, llmSeed));
            }
            if (Replies.EDITED_IN_OUTPUT.contains(task)) {
                result = result.thenCompose(w -> ground(w, answer.editedObject(), GROUND_EDITED, intent, llmSeed));
            }
            return result;
        });
    }

    private CompletableFuture<Written> ground(Written written, String name, String key, Map<String, String> intent,
                                              long llmSeed) {
        return client.complete(agents.objectNames().messages(name), llmSeed).thenApply(reply -> {
            String stripped = ObjectNames.fromReply(name, reply.content()).orElseGet(() -> {
                intent.put(key + "_by", "rule");
                return ObjectNames.strip(name);
            });
            intent.put(key, stripped);
            return written.then(Instruction.newBuilder(written.instruction()).setIntent(new TreeMap<>(intent)).build(), reply);
        });
    }

    private Instruction instruction(AgentAnswer answer, Map<String, String> intent) {
        return Instruction.newBuilder()
                .setText(answer.instruction())
                .setOutputCaption(answer.outputCaption())
                .setOriginalObject(answer.originalObject())
                .setEditedObject(answer.editedObject())
                .setIntent(new TreeMap<>(intent))
                .setWriter(client.settings().model())
                .setTemplateVersion(agents.version())
                .build();
    }

    private static SplittableRandom random(CaptionEvent caption, Task task, long seed, int attempt) {
        return Seeds.random(seed, "agent/" + caption.getId() + "/" + task.name() + "/" + attempt);
    }
}
