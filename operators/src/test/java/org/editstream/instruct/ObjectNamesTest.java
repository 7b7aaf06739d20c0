package org.editstream.instruct;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Object names stripped for grounding: possessives and possessors go, distinguishing attributes stay. */
class ObjectNamesTest {
    @Test
    void theRuleMatchesTheDocumentedExamples() {
        assertThat(ObjectNames.strip("the dog's tail")).isEqualTo("tail");
        assertThat(ObjectNames.strip("my red car")).isEqualTo("red car");
        assertThat(ObjectNames.strip("her grandmother's old wooden chair")).isEqualTo("old wooden chair");
        assertThat(ObjectNames.strip("the children's toys")).isEqualTo("toys");
        assertThat(ObjectNames.strip("the players' jerseys")).isEqualTo("jerseys");
        assertThat(ObjectNames.strip("Cup of Coffee")).isEqualTo("cup of coffee");
    }

    @Test
    void thePromptTeachesTheSameRule() {
        ObjectNames.Prompt prompt = Agents.bundled().objectNames();
        assertThat(prompt.examples()).isNotEmpty().allSatisfy(e -> assertThat(ObjectNames.strip(e.name())).isEqualTo(e.object()));
        assertThat(prompt.messages("the cat's collar")).last().isEqualTo(ChatMessage.user("the cat's collar"));
    }

    @Test
    void acceptsOnlyRepliesMadeOfTheNamesOwnWords() {
        assertThat(ObjectNames.fromReply("my red car", "{\"object\": \"red car\"}")).contains("red car");
        assertThat(ObjectNames.fromReply("my red car", "```json\n{\"object\": \"Car\"}\n```")).contains("car");
        assertThat(ObjectNames.fromReply("my red car", "{\"object\": \"blue car\"}")).isEmpty();
        assertThat(ObjectNames.fromReply("my red car", "{\"object\": \"car red\"}")).isEmpty();
        assertThat(ObjectNames.fromReply("my red car", "{\"object\": \"\"}")).isEmpty();
        assertThat(ObjectNames.fromReply("my red car", "red car")).isEmpty();
    }
}
