// Conformance handlers for attention.json: F.scaled_dot_product_attention, nn.MultiheadAttention in
// functional form and nn.TransformerEncoderLayer. Boolean masks arrive as int32 tensors (the
// library's boolean masks, with each op's PyTorch polarity); float masks as float32, added.
import * as sg from "../../../src/index.js";
import type { OpFn } from "../run.js";

const { nn } = sg;

export const ops: Record<string, OpFn> = {
  scaled_dot_product_attention: ({ query, key, value, attn_mask }, a) => {
    const options = { attnMask: attn_mask ?? null, isCausal: a.is_causal, dropoutP: a.dropout_p, scale: a.scale };
    return a.need_weights
      ? sg.scaledDotProductAttention(query, key, value, { ...options, needWeights: true })
      : sg.scaledDotProductAttention(query, key, value, options);
  },
  multi_head_attention: (t, a) => {
    if (t.query.shape[t.query.ndim - 1] !== a.embed_dim) throw new Error(`query ${t.query.shape} does not end with embed_dim ${a.embed_dim}`);
    if (a.bias !== Boolean(t.in_proj_bias)) throw new Error(`bias = ${a.bias} but in_proj_bias is ${t.in_proj_bias ? "given" : "absent"}`);
    const [out, weights] = nn.functional.multiHeadAttentionForward(t.query, t.key ?? null, t.value ?? null, {
      inProjWeight: t.in_proj_weight, inProjBias: t.in_proj_bias, outProjWeight: t.out_proj_weight, outProjBias: t.out_proj_bias,
    }, {
      numHeads: a.num_heads, batchFirst: a.batch_first, dropoutP: a.dropout, keyPaddingMask: t.key_padding_mask, attnMask: t.attn_mask,
      needWeights: a.need_weights, averageAttnWeights: a.average_attn_weights,
    });
    return weights ? [out, weights] : out;
  },
  transformer_encoder_layer: (t, a) => {
    const layer = new nn.TransformerEncoderLayer(a.d_model, a.nhead, {
      dimFeedforward: a.dim_feedforward, dropout: a.dropout, activation: a.activation, layerNormEps: a.layer_norm_eps,
      batchFirst: a.batch_first, normFirst: a.norm_first,
    });
    // The case's inputs, named by state-dict key, take the place of the layer's own parameters, so
    // the gradients land on them.
    const expected = new Set(["src", "src_mask", "src_key_padding_mask"]);
    for (const [name, own] of layer.namedParameters()) {
      if (!t[name]) throw new Error(`the case has no input ${name}`);
      own.dispose();
      setByPath(layer, name, t[name]);
      expected.add(name);
    }
    const unknown = Object.keys(t).filter((n) => !expected.has(n));
    if (unknown.length) throw new Error(`inputs ${unknown.join(", ")} are not parameters of TransformerEncoderLayer`);
    return layer.forward(t.src, { srcMask: t.src_mask ?? null, srcKeyPaddingMask: t.src_key_padding_mask ?? null });
  },
};

function setByPath(root: any, path: string, value: sg.Tensor): void {
  const parts = path.split(".");
  const owner = parts.slice(0, -1).reduce((o, p) => o[p], root);
  owner[parts[parts.length - 1]] = value;
}
