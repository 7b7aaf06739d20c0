package org.editstream.models;

import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DevicesPrecisionTest {
    @Test
    void bfloat16IsRefusedUnlessTheJniMapsIt() {
        assertThat(Devices.precision("fp16")).isEqualTo(DataType.FLOAT16);
        assertThat(Devices.precision("float32")).isEqualTo(DataType.FLOAT32);
        String before = System.getProperty("editstream.jni.bfloat16");
        try {
            System.setProperty("editstream.jni.bfloat16", "false");
            assertThatThrownBy(() -> Devices.precision("bf16")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("engine/build-jni.sh");
            System.setProperty("editstream.jni.bfloat16", "true");
            assertThat(Devices.precision("bfloat16")).isEqualTo(DataType.BFLOAT16);
        } finally {
            if (before == null) {
                System.clearProperty("editstream.jni.bfloat16");
            } else {
                System.setProperty("editstream.jni.bfloat16", before);
            }
        }
        assertThatThrownBy(() -> Devices.precision("int8")).hasMessageContaining("unknown precision");
    }
}
