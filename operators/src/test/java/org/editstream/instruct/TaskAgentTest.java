package org.editstream.instruct;

import org.editstream.schema.CaptionEvent;
import org.editstream.schema.Task;
import org.editstream.tasks.Seeds;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The agents' prompts: structure, the 60% sample, shuffling, verb variation, determinism per caption id. */
class TaskAgentTest {
    private static final Agents AGENTS = Agents.bundled();
    private static final String CAPTION = "A grey cat sleeping on a red armchair";

    private static List<ChatMessage> prompt(Task task, String captionId, int attempt) {
        LlmInstructionWriter writer = new LlmInstructionWriter(null, AGENTS);
        CaptionEvent caption = CaptionEvent.newBuilder().setId(captionId).setCaption(CAPTION).build();
        return writer.prompt(caption, task, Seeds.fromCaptionId(captionId), attempt);
    }

    @Test
    void everyTaskHasAnAgentWithEnoughExamples() {
        for (Task task : Task.values()) {
            TaskAgent agent = AGENTS.agent(task);
            assertThat(agent).as(task.name()).isNotNull();
            assertThat(agent.examples()).as(task.name()).hasSizeGreaterThanOrEqualTo(Agents.MIN_EXAMPLES);
            assertThat(agent.verbs()).as(task.name()).hasSizeGreaterThan(1);
            assertThat(agent.introduction()).contains("instruction");
        }
        assertThat(AGENTS.version()).matches("agents-1\\+[0-9a-f]{10}");
    }

    @Test
    void everyExampleTeachesAnAnswerTheValidatorAcceptsWithEveryVerb() throws Exception {
        for (Task task : Task.values()) {
            TaskAgent agent = AGENTS.agent(task);
            for (AgentExample example : agent.examples()) {
                for (String verb : agent.verbs()) {
                    AgentAnswer answer = Replies.validate(agent, example.caption(), agent.answer(example, verb));
                    assertThat(answer.instruction()).doesNotContain("{").startsWith(
                            Character.toUpperCase(verb.charAt(0)) + verb.substring(1));
                }
            }
        }
    }

    @Test
    void thePromptIsSystemIntroductionExamplesThenTheCaption() {
        List<ChatMessage> messages = prompt(Task.LOCAL, "cap-1", 0);
        TaskAgent agent = AGENTS.agent(Task.LOCAL);
        int shown = agent.examplesPerPrompt();
        assertThat(shown).isEqualTo(Math.round(0.6 * agent.examples().size()));
        assertThat(messages).hasSize(3 + 2 * shown + 1);
        assertThat(messages.get(0)).isEqualTo(ChatMessage.system(AGENTS.texts().system()));
        assertThat(messages.get(1)).isEqualTo(ChatMessage.user(agent.introduction()));
        assertThat(messages.get(2).role()).isEqualTo("assistant");
        for (int i = 3; i < messages.size() - 1; i += 2) {
            assertThat(messages.get(i).role()).isEqualTo("user");
            assertThat(messages.get(i + 1).role()).isEqualTo("assistant");
            assertThat(messages.get(i + 1).content()).startsWith("{\"instruction\":");
        }
        assertThat(messages.get(messages.size() - 1)).isEqualTo(ChatMessage.user(CAPTION));
        // the caption is user data: it appears nowhere else
        assertThat(messages.subList(0, messages.size() - 1)).noneMatch(m -> m.content().contains(CAPTION));
    }

    @Test
    void aReplaySendsTheSamePromptAndOtherCaptionsOrAttemptsDiffer() {
        assertThat(prompt(Task.REMOVE, "cap-7", 0)).isEqualTo(prompt(Task.REMOVE, "cap-7", 0));
        assertThat(prompt(Task.REMOVE, "cap-7", 1)).isNotEqualTo(prompt(Task.REMOVE, "cap-7", 0));
        assertThat(prompt(Task.REMOVE, "cap-8", 0)).isNotEqualTo(prompt(Task.REMOVE, "cap-7", 0));
    }

    @Test
    void examplesAreSampledShuffledAndTheirVerbsVaried() {
        TaskAgent agent = AGENTS.agent(Task.ADD);
        Map<String, Set<String>> verbsPerExample = new HashMap<>();
        Set<String> shownCaptions = new HashSet<>();
        Set<List<String>> orders = new HashSet<>();
        Set<Set<String>> subsets = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            List<ChatMessage> messages = agent.prompt(AGENTS.texts(), CAPTION, new SplittableRandom(i));
            List<String> order = new java.util.ArrayList<>();
            for (int m = 3; m < messages.size() - 1; m += 2) {
                String caption = messages.get(m).content();
                order.add(caption);
                String instruction = messages.get(m + 1).content().split("\"")[3];
                verbsPerExample.computeIfAbsent(caption, c -> new HashSet<>()).add(instruction.split(" ")[0].toLowerCase());
            }
            assertThat(new HashSet<>(order)).hasSize(agent.examplesPerPrompt());
            shownCaptions.addAll(order);
            orders.add(order);
            subsets.add(new HashSet<>(order));
        }
        // every example gets shown, in many subsets and orders, each with several of the task's verbs
        assertThat(shownCaptions).hasSize(agent.examples().size());
        assertThat(subsets.size()).isGreaterThan(100);
        assertThat(orders.size()).isGreaterThan(subsets.size() - 1);
        assertThat(verbsPerExample.values()).allSatisfy(verbs -> {
            assertThat(verbs).hasSizeGreaterThan(1);
            assertThat(agent.verbs()).containsAll(verbs);
        });
        // each example appears in about 60% of the prompts
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 1000; i++) {
            List<ChatMessage> messages = agent.prompt(AGENTS.texts(), CAPTION, new SplittableRandom(10_000 + i));
            for (int m = 3; m < messages.size() - 1; m += 2) {
                counts.merge(messages.get(m).content(), 1, Integer::sum);
            }
        }
        double expected = 1000.0 * agent.examplesPerPrompt() / agent.examples().size();
        assertThat(counts.values()).allSatisfy(c -> assertThat((double) c).isBetween(expected * 0.85, expected * 1.15));
    }
}
