package org.editstream.instruct;

import org.editstream.rejections.Refusal;
import org.editstream.schema.CaptionEvent;
import org.editstream.schema.Instruction;
import org.editstream.schema.Task;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TemplateInstructionWriterTest {
    private final TemplateInstructionWriter writer = new TemplateInstructionWriter();

    @Test
    void globalEditsCarryAnOutputCaptionThatExtendsTheInputCaption() throws Refusal {
        CaptionEvent caption = CaptionEvent.newBuilder().setId("c").setCaption("a red barn in a field.").build();
        assertThat(writer.supports(Task.GLOBAL)).isTrue();
        for (long seed = 0; seed < 20; seed++) {
            Instruction instruction = writer.write(caption, Task.GLOBAL, seed);
            String change = instruction.getIntent().get("change");
            assertThat(TemplateInstructionWriter.GLOBAL).containsKey(change);
            assertThat(TemplateInstructionWriter.GLOBAL.get(change)).contains(instruction.getText());
            assertThat(instruction.getOutputCaption()).isEqualTo("a red barn in a field " + change);
            assertThat(writer.write(caption, Task.GLOBAL, seed)).isEqualTo(instruction);
        }
    }
}
