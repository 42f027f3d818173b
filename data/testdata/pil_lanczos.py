"""Writes the Pillow reference for TestResampleMatchesPillow (run from this folder; needs numpy and Pillow).

A 24x24 random 8-bit image is resized with Image.resize(LANCZOS) the way disentanglement_lib's norb.py does it
(an int8 view, so Pillow's 32-bit integer mode, unclipped) to 16x16 and to 9 wide by 16 high.
"""
import numpy as np
from PIL import Image

src = np.random.RandomState(7).randint(0, 256, size=(24, 24)).astype(np.uint8)
np.save("pil_lanczos_src.npy", src)
for w, h in [(16, 16), (9, 16)]:
    out = np.array(Image.fromarray(src.view(np.int8)).resize((w, h), Image.LANCZOS)).astype(np.int32)
    np.save("pil_lanczos_%dx%d.npy" % (h, w), out)
