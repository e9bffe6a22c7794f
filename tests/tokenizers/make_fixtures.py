"""Builds the small tokenizer folders the Java tokenizer tests read, and the ids transformers gives for them.

Run with the venv of tests/diffusers_lora_check.sh (transformers 5.24, tokenizers 0.23):
    tests/.venv/bin/python tests/tokenizers/make_fixtures.py lib/src/test/resources/tokenizers
Writes clip/ (vocab.json + merges.txt, as diffusers pipelines ship CLIP), clip-json/ (the same tokenizer saved
by transformers as tokenizer.json), t5/ (a Unigram tokenizer.json shaped like T5's) and expected.json.
"""
import collections
import json
import os
import sys

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
from transformers import CLIPTokenizer, T5TokenizerFast

OUT = sys.argv[1]
PROMPTS = ["a red circle on a blue background", "A Photo of  a CAT's mat!!", "zebra 42 café", "",
           "  two red circles,and one blue square;the large yellow triangle in a photo of a cat on the mat  "]
CLIP_MAX, T5_MAX = 16, 12


def byte_alphabet():
    """GPT-2's printable stand-ins for the 256 byte values."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    codes, extra = printable[:], 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            codes.append(256 + extra)
            extra += 1
    return [chr(c) for c in codes]


def clip_folder(path):
    os.makedirs(path, exist_ok=True)
    chars = byte_alphabet()
    vocab = chars + [c + "</w>" for c in chars]
    corpus = ("a red circle on a blue background . a small green square , the large yellow triangle ! "
              "two red circles and one blue square ; a photo of a cat sitting on the mat").split()
    words = collections.Counter(tuple(w[:-1]) + (w[-1] + "</w>",) for w in corpus)
    merges = []
    for _ in range(60):  # a few greedy BPE merges learned from the corpus
        pairs = collections.Counter()
        for w, c in words.items():
            for a, b in zip(w, w[1:]):
                pairs[(a, b)] += c
        (a, b), _ = pairs.most_common(1)[0]
        merges.append((a, b))
        vocab.append(a + b)
        merged = collections.Counter()
        for w, c in words.items():
            i, r = 0, []
            while i < len(w):
                if i < len(w) - 1 and (w[i], w[i + 1]) == (a, b):
                    r.append(a + b)
                    i += 2
                else:
                    r.append(w[i])
                    i += 1
            merged[tuple(r)] += c
        words = merged
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    with open(f"{path}/vocab.json", "w", encoding="utf-8") as f:
        json.dump({t: i for i, t in enumerate(vocab)}, f, ensure_ascii=False)
    with open(f"{path}/merges.txt", "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges))
    # SD3's second CLIP pads with "!", the first with <|endoftext|>: the pad token must come from the config
    with open(f"{path}/tokenizer_config.json", "w") as f:
        json.dump({"model_max_length": CLIP_MAX, "pad_token": "!", "bos_token": "<|startoftext|>",
                   "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>", "tokenizer_class": "CLIPTokenizer"}, f, indent=1)
    return CLIPTokenizer(f"{path}/vocab.json", f"{path}/merges.txt", pad_token="!")


def t5_folder(path):
    os.makedirs(path, exist_ok=True)
    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    words = ("▁a ▁red ▁circle ▁on ▁blue ▁background ▁small ▁green ▁square ▁the ▁large ▁yellow ▁triangle ▁photo ▁of"
             " ▁cat ▁mat ▁two ▁and ▁one").split()
    pieces += [(w, -2.0 - i * 0.1) for i, w in enumerate(words)]
    pieces += [(c, -8.0) for c in "▁abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;!'s"]
    tok = Tokenizer(models.Unigram(pieces, unk_id=2))
    # T5's own pipeline (what transformers' T5Tokenizer rebuilds on load): split on whitespace, then Metaspace
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(),
                                                 pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)])
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.save(f"{path}/tokenizer.json")
    with open(f"{path}/tokenizer_config.json", "w") as f:
        json.dump({"model_max_length": T5_MAX, "pad_token": "<pad>", "eos_token": "</s>", "unk_token": "<unk>",
                   "tokenizer_class": "T5Tokenizer"}, f, indent=1)
    return T5TokenizerFast(tokenizer_file=f"{path}/tokenizer.json", pad_token="<pad>", eos_token="</s>", unk_token="<unk>")


def cut(tok, max_length):
    """The prompts longer than the limit, which the pipelines truncate with a warning."""
    return [i for i, p in enumerate(PROMPTS) if len(tok(p).input_ids) > max_length]


def ids(tok, max_length):
    # as the Flux and SD3 pipelines call their tokenizers
    return [tok(p, padding="max_length", max_length=max_length, truncation=True).input_ids for p in PROMPTS]


clip = clip_folder(f"{OUT}/clip")
os.makedirs(f"{OUT}/clip-json", exist_ok=True)
clip.backend_tokenizer.save(f"{OUT}/clip-json/tokenizer.json")
with open(f"{OUT}/clip-json/tokenizer_config.json", "w") as f:
    json.dump({"model_max_length": CLIP_MAX, "pad_token": "!", "tokenizer_class": "CLIPTokenizer"}, f, indent=1)
t5 = t5_folder(f"{OUT}/t5")
# the pipelines load their tokenizers with from_pretrained: that path must give the same ids
assert ids(CLIPTokenizer.from_pretrained(f"{OUT}/clip"), CLIP_MAX) == ids(clip, CLIP_MAX)
assert ids(T5TokenizerFast.from_pretrained(f"{OUT}/t5"), T5_MAX) == ids(t5, T5_MAX)
with open(f"{OUT}/expected.json", "w", encoding="utf-8") as f:
    json.dump({"prompts": PROMPTS, "clip": ids(clip, CLIP_MAX), "t5": ids(t5, T5_MAX),
               "clip_truncated": cut(clip, CLIP_MAX), "t5_truncated": cut(t5, T5_MAX)}, f, ensure_ascii=False, indent=1)
