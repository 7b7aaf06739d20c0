"""The GPU kit's reference rows, on the same machine and in the same run as the engine's (`bench engine`):
the device's matrix-product peak per precision in PyTorch, and, with diffusers importable (the kit carries its
source), diffusers' UNet2DConditionModel forward per precision and batch, and a guided diffusers loop whose
cross-attention is controlled as Prompt-to-Prompt controls it (the target rows take the source rows' attention
probabilities for the first part of the steps), one pair and pairs batched per UNet pass. Random weights at the
config's size; medians. Writes {"rows": [{"row", "seconds", "tflops"?, "pairs_per_second"?}], ...} to --json.
"""
import argparse
import json
import statistics
import sys
import time

import torch

DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def median(runs, warmup, device, body):
    for _ in range(warmup):
        body()
    sync(device)
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        body()
        sync(device)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


class PromptToPromptProcessor:
    """Cross-attention of a batch [uncond pairs..., cond pairs...] in (source, target) order: while active, each
    target row's attention probabilities are its source row's, the word swap of Prompt-to-Prompt with an identity
    token mapping (self-attention is left alone here)."""

    def __init__(self):
        self.active = True

    def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None, temb=None, **kwargs):
        cross = encoder_hidden_states is not None
        context = encoder_hidden_states if cross else hidden_states
        query = attn.head_to_batch_dim(attn.to_q(hidden_states))
        key = attn.head_to_batch_dim(attn.to_k(context))
        value = attn.head_to_batch_dim(attn.to_v(context))
        probabilities = attn.get_attention_scores(query, key, None)
        if cross and self.active:
            heads = attn.heads
            rows = probabilities.shape[0] // heads
            p = probabilities.view(rows // 2, 2, heads, *probabilities.shape[1:]).clone()
            p[:, 1] = p[:, 0]
            probabilities = p.view_as(probabilities)
        out = attn.batch_to_head_dim(torch.bmm(probabilities, value))
        out = attn.to_out[0](out)
        return attn.to_out[1](out)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", required=True)
    parser.add_argument("--precision", default="float32")
    parser.add_argument("--peak-size", type=int, default=4096)
    parser.add_argument("--unet-config", required=True)
    parser.add_argument("--latent", type=int, default=64)
    parser.add_argument("--batches", default="2,8,32")
    parser.add_argument("--pair-steps", type=int, default=50)
    parser.add_argument("--generation-batches", default="1,4,16")
    parser.add_argument("--batch-steps", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    report = {"torch": torch.__version__, "device": str(device), "threads": torch.get_num_threads(), "rows": []}
    if device.type == "cuda":
        report["gpu"] = torch.cuda.get_device_name(0)

    def write():
        # after every row: a run stopped part-way (the kit's time limit, a crash) still leaves its rows
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)

    def row(name, seconds, **extra):
        report["rows"].append(dict(row=name, seconds=seconds, **extra))
        print(json.dumps(report["rows"][-1]), flush=True)
        write()

    write()

    precisions = [p for p in args.precision.split(",") if p]
    with torch.inference_mode():
        for name in precisions:
            a = torch.randn(args.peak_size, args.peak_size, device=device, dtype=DTYPES[name])
            b = torch.randn(args.peak_size, args.peak_size, device=device, dtype=DTYPES[name])
            s = median(args.runs, 1, device, lambda: a @ b)
            row("matmul %dx%d %s" % (args.peak_size, args.peak_size, name), s, tflops=2 * args.peak_size ** 3 / s / 1e12)
    try:
        from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel
    except ImportError as e:
        report["diffusers"] = "not importable: %s" % e
        write()
        return
    import diffusers
    report["diffusers"] = diffusers.__version__
    config = json.load(open(args.unet_config))
    config = config.get("config", config)
    config = {k: v for k, v in config.items() if not k.startswith("_")}
    for name in precisions:
        dtype = DTYPES[name]
        unet = UNet2DConditionModel(**config).to(device=device, dtype=dtype).eval()
        channels = unet.config.in_channels
        context_dim = unet.config.cross_attention_dim
        with torch.inference_mode():
            for batch in [int(b) for b in args.batches.split(",") if b]:
                sample = torch.randn(batch, channels, args.latent, args.latent, device=device, dtype=dtype)
                context = torch.randn(batch, 77, context_dim, device=device, dtype=dtype)
                t = torch.full((batch,), 501, device=device)
                s = median(args.runs, 1, device, lambda: unet(sample, t, encoder_hidden_states=context))
                row("unet forward %s batch %d %dx%d" % (name, batch, args.latent, args.latent), s)

            control = PromptToPromptProcessor()
            unet.set_attn_processor(control)

            def pairs(n, steps):
                # [uncond S, uncond T] x n then [cond S, cond T] x n, guided, the first 80% of steps controlled
                latents = torch.randn(2 * n, channels, args.latent, args.latent, device=device, dtype=dtype)
                text = torch.randn(4 * n, 77, context_dim, device=device, dtype=dtype)
                for i in range(steps):
                    control.active = i < 0.8 * steps
                    t = torch.full((4 * n,), 999 - i * (1000 // steps), device=device)
                    noise = unet(torch.cat([latents, latents]), t, encoder_hidden_states=text).sample
                    uncond, cond = noise.chunk(2)
                    latents = latents - 0.01 * (uncond + 7.5 * (cond - uncond))
                return latents

            s = median(1, 1, device, lambda: pairs(1, args.pair_steps))
            row("attention-controlled pair %s %d steps, UNet loop" % (name, args.pair_steps), s, pairs_per_second=1 / s)
            for n in [int(b) for b in args.generation_batches.split(",") if b]:
                s = median(1, 1, device, lambda: pairs(n, args.batch_steps))
                row("pairs at generation batch %d %s %d steps, UNet loop" % (n, name, args.batch_steps), s,
                    pairs_per_second=n / s)
        del unet
        if device.type == "cuda":
            torch.cuda.empty_cache()
    write()


if __name__ == "__main__":
    sys.exit(main())
