"""Layers and activations the generated Keras files define or name themselves, shared by the ConvNeXt layout
(:mod:`archc.backends.keras.convnext`) and the block functions of the ResNet layout
(:mod:`archc.backends.keras.blocks`): keras.applications' ``LayerScale`` and a ``StochasticDepth`` (drop path,
identity in inference) as source text — a generated file stays standalone — and the Keras name of each
activation a recipe may hold.
"""

from __future__ import annotations

# A recipe's activation → its ``layers.Activation`` name (Keras' hard swish is ``hard_swish``).
ACTIVATIONS = {"relu": "relu", "relu6": "relu6", "gelu": "gelu", "silu": "silu", "hardswish": "hard_swish"}

LAYER_SCALE = '''class LayerScale(layers.Layer):
    """x × a learnt per-channel vector ``gamma`` (keras.applications' LayerScale)."""

    def __init__(self, init_values, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim

    def build(self, input_shape):
        self.gamma = self.add_weight(
            shape=(self.projection_dim,),
            initializer=keras.initializers.Constant(self.init_values),
            trainable=True,
        )

    def call(self, x):
        return x * self.gamma

    def get_config(self):
        config = super().get_config()
        config.update({"init_values": self.init_values, "projection_dim": self.projection_dim})
        return config'''

STOCHASTIC_DEPTH = '''class StochasticDepth(layers.Layer):
    """Drops the residual branch of a whole sample with probability ``drop_path_rate`` in training."""

    def __init__(self, drop_path_rate, **kwargs):
        super().__init__(**kwargs)
        self.drop_path_rate = drop_path_rate

    def call(self, x, training=None):
        if training:
            keep_prob = 1 - self.drop_path_rate
            shape = (keras.ops.shape(x)[0],) + (1,) * (len(keras.ops.shape(x)) - 1)
            random_tensor = keras.ops.floor(keep_prob + keras.random.uniform(shape, 0, 1))
            return (x / keep_prob) * random_tensor
        return x

    def get_config(self):
        config = super().get_config()
        config.update({"drop_path_rate": self.drop_path_rate})
        return config'''
