-- A Neovim session driven by tests/lsp_neovim.rs: with the shipped setup
-- (editors/neovim, `require('froyo').setup`), opens site.cue of a copy of
-- examples/quickstart with `froyo lsp` as the built-in client's server,
-- breaks a `require`, records the diagnostics Neovim received, undoes the
-- edit and waits for them to clear, makes a file world-writable and records
-- the built-in policy's diagnostic (then undoes that too), then completes `linux.#Fi` in Insert
-- mode with <C-x><C-o> (omnifunc = vim.lsp.omnifunc) and records what
-- complete_info() shows, as a user would see it. Results go to FROYO_OUT
-- as JSON; Neovim then quits.
local froyo, root, out = os.getenv('FROYO_BIN'), os.getenv('FROYO_ROOT'), os.getenv('FROYO_OUT')
local editors = os.getenv('FROYO_EDITORS')
local result = { initialized = false, diagnostics = {}, cleared = false, completion = {}, errors = {} }

local function finish()
  local file = io.open(out, 'w')
  file:write(vim.fn.json_encode(result))
  file:close()
  vim.cmd('qa!')
end

local ok, err = pcall(function()
  vim.opt.runtimepath:append(editors .. '/neovim')
  require('froyo').setup({ cmd = { froyo, 'lsp' } })
  vim.cmd('filetype on')
  vim.cmd('edit ' .. root .. '/site.cue')
  local bufnr = vim.api.nvim_get_current_buf()
  result.filetype = vim.bo[bufnr].filetype
  result.initialized = vim.wait(30000, function()
    local clients = vim.lsp.buf_get_clients(bufnr)
    for _, client in pairs(clients) do
      if client.name == 'froyo' and client.initialized then
        return true
      end
    end
    return false
  end, 20)
  result.omnifunc = vim.bo[bufnr].omnifunc

  -- Break the `require` of `readme`: the server reports an unknown dependency.
  local lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  for index, line in ipairs(lines) do
    local start = line:find('"directory"', 1, true)
    if start and line:find('require', 1, true) then
      vim.api.nvim_buf_set_text(bufnr, index - 1, start, index - 1, start + 9, { 'directroy' })
      break
    end
  end
  vim.wait(30000, function() return #vim.diagnostic.get(bufnr) > 0 end, 20)
  for _, diagnostic in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(result.diagnostics, {
      lnum = diagnostic.lnum,
      col = diagnostic.col,
      end_col = diagnostic.end_col,
      severity = diagnostic.severity,
      code = diagnostic.code or (diagnostic.user_data and diagnostic.user_data.lsp and diagnostic.user_data.lsp.code),
      message = diagnostic.message,
    })
  end
  vim.cmd('silent undo')
  result.cleared = vim.wait(30000, function() return #vim.diagnostic.get(bufnr) == 0 end, 20)

  -- A world-writable mode: the built-in policy reports it on the `mode:` line.
  result.policy = {}
  lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  for index, line in ipairs(lines) do
    local start = line:find('"0644"', 1, true)
    if start and line:find('mode', 1, true) then
      vim.api.nvim_buf_set_text(bufnr, index - 1, start, index - 1, start + 4, { '0666' })
      result.mode_line = index - 1
      break
    end
  end
  vim.wait(30000, function() return #vim.diagnostic.get(bufnr) > 0 end, 20)
  for _, diagnostic in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(result.policy, {
      lnum = diagnostic.lnum,
      col = diagnostic.col,
      severity = diagnostic.severity,
      code = diagnostic.code or (diagnostic.user_data and diagnostic.user_data.lsp and diagnostic.user_data.lsp.code),
      message = vim.split(diagnostic.message, '\n')[1],
    })
  end
  vim.cmd('silent undo')
  result.policy_cleared = vim.wait(30000, function() return #vim.diagnostic.get(bufnr) == 0 end, 20)

  -- A new resource whose schema is being typed: `linux.#Fi`, then <C-x><C-o>.
  lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  for index, line in ipairs(lines) do
    if line:find('^resources: {') then
      vim.api.nvim_buf_set_lines(bufnr, index, index, false, { '\tnotes: linux.#Fi' })
      vim.api.nvim_win_set_cursor(0, { index + 1, 0 })
      break
    end
  end
  local deadline = vim.loop.now() + 30000
  local timer = vim.loop.new_timer()
  timer:start(50, 50, vim.schedule_wrap(function()
    local info = vim.fn.complete_info({ 'items', 'mode' })
    if #info.items > 0 or vim.loop.now() > deadline then
      timer:stop()
      result.mode = info.mode
      for _, item in ipairs(info.items) do
        table.insert(result.completion, item.word)
      end
      result.line = vim.api.nvim_get_current_line()
      finish()
    end
  end))
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes('A<C-x><C-o>', true, false, true), 'n', false)
end)
if not ok then
  table.insert(result.errors, tostring(err))
  finish()
end
