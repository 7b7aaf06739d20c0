package org.editstream.models;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;

import java.util.Locale;

/** Device and precision choices as users name them. */
public final class Devices {
    private Devices() {
    }

    /** {@code auto} (a GPU when DJL finds one, else the CPU), {@code cpu}, {@code gpu} or {@code gpu:N}. */
    public static Device named(String name) {
        EngineLoad.announce();
        String n = name.toLowerCase(Locale.ROOT).strip();
        if (n.equals("auto")) {
            return Engine.getInstance().getGpuCount() > 0 ? Device.gpu() : Device.cpu();
        }
        if (n.equals("cpu")) {
            return Device.cpu();
        }
        if (n.startsWith("gpu") || n.startsWith("cuda")) {
            int gpus = Engine.getInstance().getGpuCount();
            int index = n.contains(":") ? Integer.parseInt(n.substring(n.indexOf(':') + 1)) : 0;
            if (index >= gpus) {
                throw new IllegalArgumentException("device " + name + " asked for, but DJL finds " + gpus + " GPU(s)");
            }
            return Device.gpu(index);
        }
        throw new IllegalArgumentException("unknown device '" + name + "' (auto, cpu, gpu, gpu:N)");
    }

    /** {@code float32}, {@code float16} or {@code bfloat16}. */
    public static DataType precision(String name) {
        return switch (name.toLowerCase(Locale.ROOT).strip()) {
            case "float32", "fp32" -> DataType.FLOAT32;
            case "float16", "fp16", "half" -> DataType.FLOAT16;
            case "bfloat16", "bf16" -> {
                if (!bfloat16Supported()) {
                    throw new IllegalArgumentException("bfloat16 needs DJL's JNI built by engine/build-jni.sh (which adds"
                            + " the mapping and prints EDITSTREAM_JNI_BFLOAT16=true with its environment): DJL's released"
                            + " JNI maps no bfloat16 and aborts the process on the first such array");
                }
                yield DataType.BFLOAT16;
            }
            default -> throw new IllegalArgumentException("unknown precision '" + name + "' (float32, float16, bfloat16)");
        };
    }

    /** Whether the JNI in use maps bfloat16: the one engine/build-jni.sh builds ({@code EDITSTREAM_JNI_BFLOAT16=true}). */
    public static boolean bfloat16Supported() {
        return Boolean.parseBoolean(System.getProperty("editstream.jni.bfloat16", System.getenv("EDITSTREAM_JNI_BFLOAT16")));
    }
}
