package org.editstream.tasks;

/** A model or tool that some task needs. A task is enabled only when every capability it needs is present. */
public enum Capability {
    DIFFUSION("a text-to-image diffusion model (--models DIR/diffusion)"),
    INPAINTING("an inpainting diffusion model (--models DIR/inpainting: a pipeline, or just its unet/)"),
    GROUNDING("an object grounder (Grounding DINO in --models DIR/grounding-dino, or --grounder CLASS, an "
            + "org.editstream.perception.ObjectGrounder)"),
    SEGMENTATION("object segmentation (from the grounder, or SAM in --models DIR/sam)"),
    CLIP("a CLIP model (--models DIR/clip)"),
    OCR("Tesseract OCR with English data (apt-get install tesseract-ocr-eng, or --tessdata DIR)"),
    FONTS("TrueType fonts for Java2D (apt-get install fonts-dejavu-core)"),
    EDGE_DETECTOR("an edge detector (OpenCV, bundled)"),
    DEPTH("a depth model (--models DIR/depth)"),
    POSE("a pose model (--models DIR/pose)"),
    SEGMENTATION_MAP("a semantic segmentation model (--models DIR/segmap)"),
    LLM("an instruction LLM (--llm-url)");

    private final String description;

    Capability(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }
}
