//! Policy levers: export controls and strategic stockpiles.

pub mod controls;
pub mod stockpile;
