"""Writes resize_reference.json: PyTorch's antialiased bilinear resize of centre-cropped RGBA frames,
the independent reference for resize_crop_normalize.ts (checked by resize_crop_normalize.test.ts).

Run from the repository root: models/.venv/bin/python app/engine/kernels/testdata/resize_reference.py
then `npx biome format --write app/engine/kernels/testdata/resize_reference.json` (the lint checks JSON layout).
The crop rule is the one documented in resize_crop_normalize.ts (`centreCrop`).
"""

import base64
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
CASES = [
    # name, (T_in, H_in, W_in), (H, W), frame indices, mean, std
    ("downscale_wide", (3, 27, 48), (8, 8), [2, 0], [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]),
    ("downscale_tall_fractional", (2, 40, 22), (10, 12), [1], [0.48145466, 0.4578275, 0.40821073], [0.26862954, 0.26130258, 0.27577711]),
    ("upscale", (1, 7, 9), (16, 20), [0], [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]),
]


def centre_crop(in_h: int, in_w: int, out_h: int, out_w: int) -> tuple[int, int, int, int]:
    """(x, y, width, height), as centreCrop in resize_crop_normalize.ts (round half up, floor offset)."""
    if in_w * out_h > in_h * out_w:
        width = min(in_w, max(1, int(np.floor(in_h * out_w / out_h + 0.5))))
        return (in_w - width) // 2, 0, width, in_h
    height = min(in_h, max(1, int(np.floor(in_w * out_h / out_w + 0.5))))
    return 0, (in_h - height) // 2, in_w, height


def main() -> None:
    rng = np.random.default_rng(1234)
    cases = []
    for name, (t_in, h_in, w_in), (h, w), indices, mean, std in CASES:
        rgba = rng.integers(0, 256, size=(t_in, h_in, w_in, 4), dtype=np.uint8)  # (T, H, W, 4)
        x, y, cw, ch = centre_crop(h_in, w_in, h, w)
        crop = torch.from_numpy(rgba[indices, y : y + ch, x : x + cw, :3].astype(np.float32))  # (N, ch, cw, 3)
        crop = crop.permute(0, 3, 1, 2)  # (N, 3, ch, cw)
        resized = F.interpolate(crop, size=(h, w), mode="bilinear", antialias=True, align_corners=False)  # (N, 3, H, W)
        m = torch.tensor(mean).view(1, 3, 1, 1)
        s = torch.tensor(std).view(1, 3, 1, 1)
        frames = ((resized / 255 - m) / s).contiguous()  # (N, 3, H, W)
        cases.append(
            {
                "name": name,
                "input": {"frames": t_in, "height": h_in, "width": w_in},
                "height": h,
                "width": w,
                "frame_indices": indices,
                "mean": mean,
                "std": std,
                "crop": {"x": x, "y": y, "width": cw, "height": ch},
                "rgba_base64": base64.b64encode(rgba.tobytes()).decode(),  # (T, H, W, 4) bytes
                "frames_layout": [round(v, 7) for v in frames.reshape(-1).tolist()],
            }
        )
    out = Path(__file__).with_suffix(".json")
    out.write_text(json.dumps({"torch": torch.__version__, "cases": cases}, separators=(",", ":")) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
