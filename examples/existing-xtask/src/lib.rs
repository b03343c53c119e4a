//! A small library whose xtask had its own `codegen` command before it took in windlass's.

mod generated;

pub use generated::OrderState;

/// Whether an order in `state` is done with.
pub fn is_final(state: OrderState) -> bool {
    state != OrderState::New
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filled_and_cancelled_orders_are_final() {
        assert!(!is_final(OrderState::New));
        assert!(is_final(OrderState::Filled));
        assert!(is_final(OrderState::Cancelled));
    }
}
