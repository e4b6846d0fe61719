#include "engine/store/raw_codec.hpp"

#include <zstd.h>

namespace hisbridge::store {
namespace {

// Below this, a frame's own overhead eats most of the gain.
constexpr std::size_t kMinCompressBytes = 256;

}  // namespace

struct RawCodec::Contexts {
  ZSTD_CCtx* compress = ZSTD_createCCtx();
  ZSTD_DCtx* decompress = ZSTD_createDCtx();
  ~Contexts() {
    ZSTD_freeCCtx(compress);
    ZSTD_freeDCtx(decompress);
  }
};

RawCodec::RawCodec() : contexts_(std::make_unique<Contexts>()) {}

RawCodec::~RawCodec() = default;

std::string_view RawCodec::encode(std::string_view raw, int level, std::string& scratch,
                                  RawFormat& format) {
  format = RawFormat::as_received;
  if (level == 0 || raw.size() < kMinCompressBytes || contexts_->compress == nullptr) {
    return raw;
  }
  scratch.resize(ZSTD_compressBound(raw.size()));
  const std::size_t n = ZSTD_compressCCtx(contexts_->compress, scratch.data(), scratch.size(),
                                          raw.data(), raw.size(), level);
  if (ZSTD_isError(n) != 0 || n > raw.size() - raw.size() / 8) {
    return raw;
  }
  scratch.resize(n);
  format = RawFormat::zstd;
  return scratch;
}

bool RawCodec::decode(std::string_view stored, RawFormat format, std::string& out,
                      std::size_t max_bytes) {
  if (format == RawFormat::as_received) {
    out.assign(stored);
    return true;
  }
  if (format != RawFormat::zstd || contexts_->decompress == nullptr) {
    return false;
  }
  const unsigned long long size = ZSTD_getFrameContentSize(stored.data(), stored.size());
  if (size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR || size > max_bytes) {
    return false;
  }
  out.resize(static_cast<std::size_t>(size));
  const std::size_t n = ZSTD_decompressDCtx(contexts_->decompress, out.data(), out.size(),
                                            stored.data(), stored.size());
  if (ZSTD_isError(n) != 0 || n != out.size()) {
    out.clear();
    return false;
  }
  return true;
}

}  // namespace hisbridge::store
