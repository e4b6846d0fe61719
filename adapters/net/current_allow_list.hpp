#pragma once

#include <memory>
#include <mutex>
#include <utility>

#include "adapters/net/address_range.hpp"

namespace hisbridge::net {

// A listener's allow_from, which a config reload may replace while connections are being
// accepted: each accept reads the list current at that moment (a lock and a pointer copy, once
// per connection, never per message).
class CurrentAllowList {
 public:
  explicit CurrentAllowList(AllowList initial)
      : list_(std::make_shared<const AllowList>(std::move(initial))) {}

  bool allows(const IpAddress& address) const {
    std::shared_ptr<const AllowList> list;
    {
      const std::lock_guard lock(mutex_);
      list = list_;
    }
    return list->allows(address);
  }

  void replace(AllowList next) {
    auto list = std::make_shared<const AllowList>(std::move(next));
    const std::lock_guard lock(mutex_);
    list_ = std::move(list);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const AllowList> list_;
};

}  // namespace hisbridge::net
