"""Fine-tuning the model on what users approved, with their consent (`memadvisor finetune`).

`chat` turns prompts into chat-format examples, `dataset` exports them, `teacher` makes examples
from synthetic personas, `train` trains a LoRA adapter, `gguf_lora` converts it for llama.cpp and
`serving` writes what Ollama and vLLM need. Only `train` and `gguf_lora` need the `[finetune]`
extra; they import it when called.
"""
