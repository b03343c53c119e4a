//! A small library whose repository uses windlass through its own xtask.

mod generated;
pub mod legacy;

pub use generated::OrderState;

/// Whether an order in `state` can still change.
pub fn is_open(state: OrderState) -> bool {
    state == OrderState::New
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_new_orders_are_open() {
        assert!(is_open(OrderState::New));
        assert!(!is_open(OrderState::Filled));
        assert!(!is_open(OrderState::Cancelled));
    }
}
