"""Each module's part in the standard decoder flow, from its name and class, and whether a model's layers
are that flow (norm -> attention -> residual -> norm -> MLP or MoE -> residual)."""

END_ROLES = {
    "embed_tokens": "embedding", "wte": "embedding", "word_embeddings": "embedding", "embed_in": "embedding",
    "norm": "final_norm", "final_layernorm": "final_norm", "ln_f": "final_norm", "final_layer_norm": "final_norm",
    "lm_head": "lm_head", "embed_out": "lm_head",
    "rotary_emb": "rotary",
}

LAYER_ROLES = {
    "input_layernorm": "input_norm", "post_attention_layernorm": "post_attention_norm",
    "pre_feedforward_layernorm": "pre_mlp_norm", "post_feedforward_layernorm": "post_mlp_norm",
}
ATTN_ROLES = {
    "q_proj": "attn_q", "k_proj": "attn_k", "v_proj": "attn_v", "o_proj": "attn_o",
    "qkv_proj": "attn_qkv", "q_norm": "attn_q_norm", "k_norm": "attn_k_norm",
    "q_a_proj": "mla_q_a", "q_a_layernorm": "mla_q_a_norm", "q_b_proj": "mla_q_b",
    "kv_a_proj_with_mqa": "mla_kv_a", "kv_a_layernorm": "mla_kv_a_norm", "kv_b_proj": "mla_kv_b",
}
MLP_ROLES = {"gate_proj": "mlp_gate", "up_proj": "mlp_up", "gate_up_proj": "mlp_gate_up", "down_proj": "mlp_down"}
MOE_CHILD_ROLES = {"gate": "router", "router": "router", "experts": "experts",
                   "shared_experts": "shared_experts", "shared_expert": "shared_experts",
                   "shared_expert_gate": "shared_expert_gate"}
ATTN_NAMES = ("self_attn", "attention", "attn", "self_attention")
MLP_NAMES = ("mlp", "feed_forward", "block_sparse_moe", "moe", "ffn")


def end_role(path, cls, base_prefix, layers_path, is_causal):
    if path == "":
        return "causal_lm" if is_causal else "base"
    if path == base_prefix:
        return "base"
    if path == layers_path:
        return "layers"
    last = path.rsplit(".", 1)[-1]
    parent = path.rsplit(".", 1)[0] if "." in path else ""
    if last in END_ROLES and (parent in ("", base_prefix)):
        return END_ROLES[last]
    return "other"


def layer_role(path, cls, moe_paths):
    """path relative to the decoder layer; moe_paths: paths of modules that hold an `experts` child."""
    if path == "":
        return "decoder_layer"
    parts = path.split(".")
    last = parts[-1]
    if len(parts) == 1:
        if last in LAYER_ROLES:
            return LAYER_ROLES[last]
        if last in ATTN_NAMES:
            return "attention"
        if last in MLP_NAMES:
            return "moe" if path in moe_paths else "mlp"
        return "other"
    parent = ".".join(parts[:-1])
    if len(parts) == 2 and parts[0] in ATTN_NAMES and last in ATTN_ROLES:
        return ATTN_ROLES[last]
    if parent in moe_paths and last in MOE_CHILD_ROLES:
        return MOE_CHILD_ROLES[last]
    if len(parts) == 2 and parts[0] in MLP_NAMES and parent not in moe_paths and last in MLP_ROLES:
        return MLP_ROLES[last]
    if len(parts) == 3 and parent.split(".")[0] in moe_paths and parts[1] in ("shared_experts", "shared_expert") and last in MLP_ROLES:
        return MLP_ROLES[last]
    if len(parts) == 3 and parts[0] in moe_paths and parts[1] == "experts" and last in MLP_ROLES:
        return MLP_ROLES[last]
    if len(parts) >= 3 and ".".join(parts[:2]) in {f"{m}.experts" for m in moe_paths} and parts[2] == "{e}":
        # one expert of a per-expert list: the expert itself, then its projections
        if len(parts) == 3:
            return "other"
        if len(parts) == 4:
            return {"w1": "mlp_gate", "w3": "mlp_up", "w2": "mlp_down"}.get(last, MLP_ROLES.get(last, "other"))
    return "other"


def variant_flow(modules, params):
    """Why a layer variant is not the standard decoder flow, or None when it is."""
    roles = {m["role"] for m in modules}
    owners = {p["name"].rsplit(".", 1)[0] if "." in p["name"] else "" for p in params}
    strange = sorted(m["path"] for m in modules if m["role"] == "other" and m["path"] in owners)
    if strange:
        return f"layer modules outside the standard decoder flow: {', '.join(strange[:5])}"
    if "input_norm" not in roles and "post_attention_norm" not in roles:
        return "no input norm before attention"
    if "input_norm" not in roles and "pre_mlp_norm" in roles:
        return "no input norm before attention, yet a norm before the MLP"
    if "attention" not in roles:
        return "no attention module"
    # the flow Shardscope computes collectives for has separate q, k, v and gate, up projections
    if "attn_qkv" in roles:
        return "its attention projects q, k and v with one fused qkv_proj"
    if "mlp_gate_up" in roles:
        return "its MLP projects gate and up with one fused gate_up_proj"
    mha = {"attn_q", "attn_k", "attn_v"} <= roles
    mla = {"mla_kv_a", "mla_kv_b"} <= roles and ("attn_q" in roles or {"mla_q_a", "mla_q_b"} <= roles)
    if not (mha or mla) or "attn_o" not in roles:
        return "attention is not q/k/v/o projections nor MLA"
    if "post_attention_norm" not in roles and "pre_mlp_norm" not in roles:
        return "no norm between attention and MLP (parallel attention and MLP)"
    if "mlp" in roles:
        if not ({"mlp_down"} <= roles and ({"mlp_gate", "mlp_up"} <= roles or "mlp_up" in roles)):
            return "MLP is not gate/up/down projections"
    elif "moe" in roles:
        if not {"router", "experts"} <= roles:
            return "MoE block without router and experts"
    else:
        return "no MLP or MoE block"
    return None


NORM_ROLES = ("input_norm", "post_attention_norm", "pre_mlp_norm", "post_mlp_norm")


def traced_norm_roles(modules, order):
    """The layer's norms by where its forward calls them (order: the layer's direct children in call order):
    before attention input_norm; between attention and MLP the one on the attention output post_attention_norm
    and, when a second follows, pre_mlp_norm (Gemma's sandwich); after the MLP post_mlp_norm. {path: role},
    or None when the order does not have that shape."""
    role = {m["path"]: m["role"] for m in modules}
    attn = next((p for p in order if role.get(p) == "attention"), None)
    mlp = next((p for p in order if role.get(p) in ("mlp", "moe")), None)
    if attn is None or mlp is None or order.index(attn) > order.index(mlp):
        return None
    cls = {m["path"]: m["class"] for m in modules}
    norms = [p for p in order if "." not in p and "norm" in cls.get(p, "").lower() and role.get(p) in NORM_ROLES + ("other",)]
    a, b = order.index(attn), order.index(mlp)
    before = [p for p in norms if order.index(p) < a]
    between = [p for p in norms if a < order.index(p) < b]
    after = [p for p in norms if order.index(p) > b]
    if len(before) > 1 or len(between) > 2 or len(after) > 1:
        return None
    out = {}
    if before:
        out[before[0]] = "input_norm"
    if between:
        out[between[0]] = "post_attention_norm"
    if len(between) == 2:
        out[between[1]] = "pre_mlp_norm"
    if after:
        out[after[0]] = "post_mlp_norm"
    return out
