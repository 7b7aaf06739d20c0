package org.editstream.diffusion;

import ai.djl.ndarray.types.DataType;
import org.editstream.models.ModelException;

import java.util.List;

/**
 * A diffusers {@code AutoencoderKL} {@code config.json}. {@code force_upcast}: the VAE computes in float32 when the
 * pipeline runs in float16 (whose range its activations overflow), as diffusers upcasts it.
 */
public record VaeConfig(
        Integer inChannels,
        Integer outChannels,
        Integer latentChannels,
        List<Integer> blockOutChannels,
        List<String> downBlockTypes,
        List<String> upBlockTypes,
        Integer layersPerBlock,
        Integer normNumGroups,
        String actFn,
        Double scalingFactor,
        Boolean midBlockAddAttention,
        Boolean forceUpcast) {

    public VaeConfig {
        inChannels = inChannels == null ? 3 : inChannels;
        outChannels = outChannels == null ? 3 : outChannels;
        latentChannels = latentChannels == null ? 4 : latentChannels;
        blockOutChannels = blockOutChannels == null ? List.of(64) : List.copyOf(blockOutChannels);
        layersPerBlock = layersPerBlock == null ? 1 : layersPerBlock;
        normNumGroups = normNumGroups == null ? 32 : normNumGroups;
        actFn = actFn == null ? "silu" : actFn;
        scalingFactor = scalingFactor == null ? 0.18215 : scalingFactor;
        midBlockAddAttention = midBlockAddAttention == null || midBlockAddAttention;
        forceUpcast = forceUpcast == null || forceUpcast; // diffusers' default
        if (!"silu".equals(actFn)) {
            throw new ModelException("vae config: act_fn " + actFn + " is not supported by this engine");
        }
        for (String t : downBlockTypes == null ? List.<String>of() : downBlockTypes) {
            if (!"DownEncoderBlock2D".equals(t)) {
                throw new ModelException("vae config: down block " + t + " is not supported by this engine");
            }
        }
        for (String t : upBlockTypes == null ? List.<String>of() : upBlockTypes) {
            if (!"UpDecoderBlock2D".equals(t)) {
                throw new ModelException("vae config: up block " + t + " is not supported by this engine");
            }
        }
    }

    /** The precision the VAE computes in for a pipeline in {@code pipeline}: float32 for float16 with force_upcast. */
    public DataType computeType(DataType pipeline) {
        return pipeline == DataType.FLOAT16 && forceUpcast ? DataType.FLOAT32 : pipeline;
    }
}
