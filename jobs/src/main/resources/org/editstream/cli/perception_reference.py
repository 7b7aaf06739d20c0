"""The PyTorch reference rows of `editstream bench perception`: the reference implementations' own modules
(segment-anything, Depth-Anything-V2; transformers' SegFormer, ViTPose and Grounding DINO with eager attention) with
random weights at the sizes of the configs given (Grounding DINO also from checkpoint folders), timed as the Java rows are. Prints one JSON object per row: {"row": ..., "seconds": median}.

The reference packages are imported from their source folders. Only the networks are timed, so the imports their
preprocessing needs (OpenCV, torchvision's transforms, which the wheel stores here lack) are stubbed out.
"""
import argparse
import importlib.machinery
import importlib.util
import json
import statistics
import sys
import time
import types

import torch


def package(name, folder):
    """A package whose __init__ is not run (segment-anything's imports torchvision's NMS for the mask generator)."""
    spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
    module = importlib.util.module_from_spec(spec)
    module.__path__ = [folder]
    sys.modules[name] = module


def stub(name, **attributes):
    module = types.ModuleType(name)
    module.__dict__.update(attributes)
    sys.modules[name] = module


def median(runs, warmup, body):
    for _ in range(warmup):
        body()
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        body()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def sam_rows(name, config, source, runs, warmup):
    package("segment_anything", source + "/segment_anything")
    from functools import partial
    from segment_anything.modeling import ImageEncoderViT, MaskDecoder, PromptEncoder, TwoWayTransformer

    size = config["image_size"]
    grid = size // config["patch_size"]
    encoder = ImageEncoderViT(depth=config["encoder_depth"], embed_dim=config["encoder_embed_dim"], img_size=size,
                              mlp_ratio=config["mlp_ratio"], norm_layer=partial(torch.nn.LayerNorm, eps=config["layer_norm_eps_encoder"]),
                              num_heads=config["encoder_num_heads"], patch_size=config["patch_size"], qkv_bias=config["qkv_bias"],
                              use_rel_pos=config["use_rel_pos"], global_attn_indexes=config["encoder_global_attn_indexes"],
                              window_size=config["window_size"], out_chans=config["prompt_embed_dim"]).eval()
    prompts = PromptEncoder(embed_dim=config["prompt_embed_dim"], image_embedding_size=(grid, grid),
                            input_image_size=(size, size), mask_in_chans=config["mask_in_chans"]).eval()
    decoder = MaskDecoder(num_multimask_outputs=config["num_multimask_outputs"],
                          transformer=TwoWayTransformer(depth=config["decoder_transformer_depth"], embedding_dim=config["prompt_embed_dim"],
                                                        mlp_dim=config["decoder_mlp_dim"], num_heads=config["decoder_num_heads"]),
                          transformer_dim=config["prompt_embed_dim"], iou_head_depth=config["iou_head_depth"],
                          iou_head_hidden_dim=config["iou_head_hidden_dim"]).eval()
    image = torch.randn(1, 3, size, size)
    with torch.inference_mode():
        embedding = encoder(image)
        yield name + " image embedding", median(runs, warmup, lambda: encoder(image))
        points = (torch.tensor([[[size * 0.3, size * 0.4], [size * 0.6, size * 0.5]]]), torch.tensor([[1, 0]]))

        def decode():
            sparse, dense = prompts(points=points, boxes=None, masks=None)
            return decoder(image_embeddings=embedding, image_pe=prompts.get_dense_pe(), sparse_prompt_embeddings=sparse,
                           dense_prompt_embeddings=dense, multimask_output=True)
        yield name + " mask decode per prompt", median(10 * runs, 20 * warmup, decode)


def depth_rows(name, config, source, runs, warmup, side):
    stub("cv2", INTER_CUBIC=2, INTER_AREA=3)
    stub("torchvision")
    stub("torchvision.transforms", Compose=lambda steps: steps)
    sys.path.insert(0, source)
    from depth_anything_v2.dpt import DepthAnythingV2

    encoders = {384: "vits", 768: "vitb", 1024: "vitl", 1536: "vitg"}
    if config["embed_dim"] not in encoders:
        raise SystemExit("the reference builds the released encoders only (embed_dim 384, 768, 1024, 1536), not " + str(config["embed_dim"]))
    model = DepthAnythingV2(encoder=encoders[config["embed_dim"]], features=config["features"],
                            out_channels=config["out_channels"]).eval()
    image = torch.randn(1, 3, side, side)
    with torch.inference_mode():
        yield name + " forward " + str(side) + "x" + str(side), median(runs, warmup, lambda: model(image))


def segformer_rows(name, config, runs, warmup, side):
    from transformers import SegformerConfig, SegformerForSemanticSegmentation

    model = SegformerForSemanticSegmentation(SegformerConfig(**config)).eval()
    image = torch.randn(1, 3, side, side)
    with torch.inference_mode():
        yield name + " forward " + str(side) + "x" + str(side), median(runs, warmup, lambda: model(pixel_values=image))


def vitpose_rows(name, config, runs, warmup, batches):
    from transformers import VitPoseConfig, VitPoseForPoseEstimation

    model = VitPoseForPoseEstimation(VitPoseConfig(**config)).eval()
    model.set_attn_implementation("eager")
    height, width = config["backbone_config"]["image_size"]
    for crops in batches:
        image = torch.randn(crops, 3, height, width)
        with torch.inference_mode():
            seconds = median(runs, warmup, lambda: model(pixel_values=image))
        yield "%s forward %d %s %dx%d" % (name, crops, "crop" if crops == 1 else "crops", height, width), seconds


def gdino_rows(name, model, runs, warmup, height, width, ids):
    """transformers' GroundingDinoForObjectDetection (eager attention; its deformable attention in PyTorch on a CPU) on
    one image at height x width and the caption's ids, with the share of each forward spent in deformable attention."""
    from transformers.models.grounding_dino import modeling_grounding_dino as gd

    model = model.eval()
    model.set_attn_implementation("eager")
    spent = [0.0]

    def before(module, args, kwargs):
        module._started = time.perf_counter()

    def after(module, args, kwargs, output):
        spent[0] += time.perf_counter() - module._started

    for module in model.modules():
        if isinstance(module, gd.GroundingDinoMultiscaleDeformableAttention):
            module.register_forward_pre_hook(before, with_kwargs=True)
            module.register_forward_hook(after, with_kwargs=True)
    pixels = torch.randn(1, 3, height, width)
    mask = torch.ones(1, height, width, dtype=torch.long)
    input_ids = torch.tensor([ids])
    attention = torch.ones_like(input_ids)
    with torch.inference_mode():
        for _ in range(warmup):
            model(pixel_values=pixels, pixel_mask=mask, input_ids=input_ids, attention_mask=attention)
        seconds = []
        shares = []
        for _ in range(runs):
            spent[0] = 0.0
            start = time.perf_counter()
            model(pixel_values=pixels, pixel_mask=mask, input_ids=input_ids, attention_mask=attention)
            seconds.append(time.perf_counter() - start)
            shares.append(spent[0] / seconds[-1])
    row = "%s forward %dx%d" % (name, height, width)
    return row, statistics.median(seconds), statistics.median(shares)


def config_of(path):
    """A config.json, or the "config" member of a fixtures manifest."""
    data = json.load(open(path))
    return data.get("config", data)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--sam", nargs=3, action="append", default=[], metavar=("NAME", "CONFIG", "SOURCE"))
    parser.add_argument("--depth", nargs=3, action="append", default=[], metavar=("NAME", "CONFIG", "SOURCE"))
    parser.add_argument("--depth-side", type=int, default=518)
    parser.add_argument("--segformer", nargs=2, action="append", default=[], metavar=("NAME", "CONFIG"))
    parser.add_argument("--vitpose", nargs=2, action="append", default=[], metavar=("NAME", "CONFIG"))
    parser.add_argument("--segformer-side", type=int, default=512)
    parser.add_argument("--pose-crops", default="1,8")
    parser.add_argument("--gdino", nargs=3, action="append", default=[], metavar=("NAME", "CONFIG", "IDS"))
    parser.add_argument("--gdino-model", nargs=3, action="append", default=[], metavar=("NAME", "FOLDER", "IDS"))
    parser.add_argument("--gdino-size", default="800x1333")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    for name, config, source in args.sam:
        for row, seconds in sam_rows(name, config_of(config), source, args.runs, args.warmup):
            print(json.dumps({"row": row, "seconds": seconds}), flush=True)
    for name, config, source in args.depth:
        for row, seconds in depth_rows(name, config_of(config), source, args.runs, args.warmup, args.depth_side):
            print(json.dumps({"row": row, "seconds": seconds}), flush=True)
    for name, config in args.segformer:
        for row, seconds in segformer_rows(name, config_of(config), args.runs, args.warmup, args.segformer_side):
            print(json.dumps({"row": row, "seconds": seconds}), flush=True)
    crops = [int(c) for c in args.pose_crops.split(",")]
    for name, config in args.vitpose:
        for row, seconds in vitpose_rows(name, config_of(config), args.runs, args.warmup, crops):
            print(json.dumps({"row": row, "seconds": seconds}), flush=True)
    height, width = (int(v) for v in args.gdino_size.split("x"))
    if args.gdino or args.gdino_model:
        from transformers import GroundingDinoConfig, GroundingDinoForObjectDetection
    models = [(name, lambda c=config: GroundingDinoForObjectDetection(GroundingDinoConfig(**config_of(c))), ids)
              for name, config, ids in args.gdino]
    models += [(name, lambda f=folder: GroundingDinoForObjectDetection.from_pretrained(f), ids)
               for name, folder, ids in args.gdino_model]
    for name, build, ids in models:
        row, seconds, share = gdino_rows(name, build(), args.runs, args.warmup, height, width, [int(i) for i in ids.split(",")])
        print(json.dumps({"row": row, "seconds": seconds, "deformable_share": share}), flush=True)


if __name__ == "__main__":
    main()
